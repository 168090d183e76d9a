package aggregate

import (
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	frbls "github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/lightclient"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// syncShape has one lane claim under the sync committee, each chain a single step.
var syncShape = Shape{AccountSteps: 1, StorageSteps: 1, Sync: 1}

// syncSpec holds the public inputs of every leaf of a sync-committee claim, as integers, so
// that a test changes one and proves again.
type syncSpec struct {
	claim                                           []*big.Int // the statement's inputs of the claim
	signature, header, finality, finalized, payload []*big.Int
	signatureSlot                                   uint64
	steps                                           [nChains][]*big.Int
}

func (s syncSpec) clone() syncSpec {
	c := func(v []*big.Int) []*big.Int {
		out := make([]*big.Int, len(v))
		for i := range v {
			out[i] = new(big.Int).Set(v[i])
		}
		return out
	}
	out := syncSpec{claim: c(s.claim), signature: c(s.signature), header: c(s.header), finality: c(s.finality),
		finalized: c(s.finalized), payload: c(s.payload), signatureSlot: s.signatureSlot}
	for ch := range s.steps {
		out.steps[ch] = c(s.steps[ch])
	}
	return out
}

// syncBatch proves stand-in leaves with a spec's inputs and solves the aggregation of
// syncShape over them, under the rules of one fork.
type syncBatch struct {
	stmt, sig, hdr, br, fin, pay, step *circuittest.StandIn
	committeeHeader                    *circuittest.StandIn // the attester committee's header leaf, unused by the shape
	base                               syncSpec
	ccs                                map[string]constraint.ConstraintSystem
}

var (
	syncOnce   sync.Once
	syncBatch0 *syncBatch
)

// publicOf is an assigned circuit's public inputs, in order.
func publicOf(t *testing.T, c frontend.Circuit) []*big.Int {
	t.Helper()
	w, err := frontend.NewWitness(c, ecc.BLS12_377.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	vec := w.Vector().(frbls.Vector)
	out := make([]*big.Int, len(vec))
	for i := range vec {
		out[i] = vec[i].BigInt(new(big.Int))
	}
	return out
}

// mainnetStepSpec is the spec of a lane claim under the first update of the shared mainnet
// light-client data: its pieces' public inputs as synccommittee.StepProof assigns them
// (linked natively by Step.Links), the claim's block that update's finalized execution
// payload, its committee the commitment of the committee of its signature period.
func mainnetStepSpec(t *testing.T) (syncSpec, synccommittee.Config) {
	cfg, updates := lightclient.MainnetUpdates(t)
	u, period, com := updates[0].Update, updates[0].Period, updates[0].Committee
	st, err := synccommittee.StepProof(cfg, com, u)
	if err != nil {
		t.Fatal(err)
	}
	commitment := synccommittee.CommitmentOf(com, period)
	if err := st.Links(cfg, commitment, period); err != nil {
		t.Fatal(err)
	}
	exec, err := u.FinalizedHeader.Execution.Header()
	if err != nil {
		t.Fatal(err)
	}
	return stepSpec(t, st, commitment, exec), cfg
}

// stepSpec is the spec of a lane claim of source domain 1 under step st, signed by the
// committee of commitment, at the block of the finalized payload exec: stand-in chains
// under its state root.
func stepSpec(t *testing.T, st *synccommittee.Step, commitment frbls.Element, exec synccommittee.ExecutionPayloadHeader) syncSpec {
	ints := func(vs ...int64) []*big.Int {
		out := make([]*big.Int, len(vs))
		for i, v := range vs {
			out[i] = big.NewInt(v)
		}
		return out
	}
	halves := func(h [32]byte) []*big.Int {
		return []*big.Int{new(big.Int).SetBytes(h[:16]), new(big.Int).SetBytes(h[16:])}
	}
	const src = 1
	accountKey, wordKey, accKey, word, acc := ints(41, 42), ints(43, 44), ints(45, 46), ints(51, 52), ints(53, 54)
	storage := ints(31, 32)
	s := syncSpec{
		signature: publicOf(t, st.Signature), header: publicOf(t, st.Header), finality: publicOf(t, st.Finality),
		finalized: publicOf(t, st.Finalized), payload: publicOf(t, st.Payload), signatureSlot: st.SignatureSlot,
	}
	s.claim = append(ints(src), commitment.BigInt(new(big.Int)), new(big.Int).SetUint64(exec.BlockNumber))
	s.claim = append(s.claim, halves(exec.BlockHash)...)
	for _, v := range [][]*big.Int{accountKey, wordKey, accKey, word, acc} {
		s.claim = append(s.claim, v...)
	}
	stepOf := func(node, key, out []*big.Int, account bool) []*big.Int {
		shape := leaf.PackShape(0, mpt.KeyNibbles, true, account, false, false)
		return append(append(append(append([]*big.Int{}, node...), key...), out...), new(big.Int).SetUint64(shape))
	}
	s.steps[AccountChain] = stepOf(halves(exec.StateRoot), accountKey, storage, true)
	s.steps[WordChain] = stepOf(storage, wordKey, word, false)
	s.steps[AccChain] = stepOf(storage, accKey, acc, false)
	return s
}

func newSyncBatch(t *testing.T) *syncBatch {
	syncOnce.Do(func() {
		f := ecc.BLS12_377.ScalarField()
		base, _ := mainnetStepSpec(t)
		syncBatch0 = &syncBatch{
			stmt: circuittest.NewStandIn(t, f, StatementInputs(1, 0, 0), true),
			sig:  circuittest.NewStandIn(t, f, SyncSignatureInputs, true),
			hdr:  circuittest.NewStandIn(t, f, SyncHeaderInputs, true),
			br:   circuittest.NewStandIn(t, f, SyncBranchInputs, true),
			fin:  circuittest.NewStandIn(t, f, SyncFinalizedInputs, true),
			pay:  circuittest.NewStandIn(t, f, SyncPayloadInputs, true),
			step: circuittest.NewStandIn(t, f, StepInputs, true),
			base: base,

			committeeHeader: circuittest.NewStandIn(t, f, HeaderInputs, true),
			ccs:             map[string]constraint.ConstraintSystem{},
		}
	})
	if syncBatch0 == nil {
		t.Fatal("no sync batch")
	}
	return syncBatch0
}

func (b *syncBatch) keys(rules synccommittee.ForkRules) Keys {
	return Keys{Statement: b.stmt.VK, Header: b.committeeHeader.VK, Step: b.step.VK,
		Sync: &SyncKeys{Signature: b.sig.VK, Header: b.hdr.VK, Finality: b.br.VK, Finalized: b.fin.VK, Payload: b.pay.VK, Rules: rules}}
}

// solve proves the stand-in leaves of spec and solves the aggregation over them.
func (b *syncBatch) solve(t *testing.T, rules synccommittee.ForkRules, s syncSpec) error {
	t.Helper()
	opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField())
	prove := func(si *circuittest.StandIn, in []*big.Int) Leaf {
		p, w := si.Prove(t, in, opt)
		return Leaf{Proof: p, Public: w}
	}
	keys := b.keys(rules)
	field := ecc.BW6_761.ScalarField()
	name := rules.Fork.Name
	if b.ccs[name] == nil {
		placeholder, err := New(syncShape, keys)
		if err != nil {
			t.Fatal(err)
		}
		b.ccs[name] = circuittest.Compile(t, "aggregate-"+syncShape.String()+"-"+name+"-standins", field, placeholder)
	}
	stmtHi, stmtLo := big.NewInt(3), big.NewInt(9)
	sl := SyncLeaves{Update: UpdateLeaves{Signature: prove(b.sig, s.signature), Header: prove(b.hdr, s.header), Finality: prove(b.br, s.finality),
		Finalized: prove(b.fin, s.finalized), Payload: prove(b.pay, s.payload), SignatureSlot: s.signatureSlot}}
	for ch := range s.steps {
		sl.Chains[ch] = []Leaf{prove(b.step, s.steps[ch])}
	}
	public := new(big.Int).Add(new(big.Int).Lsh(stmtHi, 128), stmtLo)
	a, err := Assign(syncShape, keys, public, prove(b.stmt, append([]*big.Int{stmtHi, stmtLo}, s.claim...)), nil, []SyncLeaves{sl}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return circuittest.Solve(b.ccs[name], field, a)
}

// A sync-committee claim links its update's five pieces as synccommittee.Step.Links does,
// here on the pieces' inputs of a real mainnet update (Capella), and the claim's chains under
// the finalized payload's state root. Refused: each link broken, the claim's block or
// committee not the update's, an update outside the fork the circuit serves.
func TestAggregationLinksSyncCommitteeUpdate(t *testing.T) {
	b := newSyncBatch(t)
	_, cfg := mainnetStepSpec(t)
	capella, err := cfg.Rules("capella")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.solve(t, capella, b.base.clone()); err != nil {
		t.Fatalf("the mainnet update is refused: %v", err)
	}
	add := func(v *big.Int, d int64) { v.Add(v, big.NewInt(d)) }
	slotsPerPeriod := int64(capella.SlotsPerPeriod)
	for name, mutate := range map[string]func(s *syncSpec){
		"the claim under another committee":       func(s *syncSpec) { add(s.claim[1], 1) },
		"a signature by another committee":        func(s *syncSpec) { add(s.signature[0], 1) },
		"a committee of the next period":          func(s *syncSpec) { add(s.signature[4], 1) },
		"a signature slot in the next period":     func(s *syncSpec) { s.signatureSlot += uint64(slotsPerPeriod) },
		"a signature over another root":           func(s *syncSpec) { add(s.signature[2], 1) },
		"a signing root under another domain":     func(s *syncSpec) { add(s.header[6], 1) },
		"a signature slot at the attested slot":   func(s *syncSpec) { s.signatureSlot = s.header[2].Uint64() },
		"a finality branch under another state":   func(s *syncSpec) { add(s.finality[3], 1) },
		"a finalized header not the branch's":     func(s *syncSpec) { add(s.finalized[0], 1) },
		"a finalized slot after the attested one": func(s *syncSpec) { s.finalized[2].Add(s.header[2], big.NewInt(1)) },
		"a payload not the finalized header's":    func(s *syncSpec) { add(s.payload[1], 1) },
		"the claim of another block number":       func(s *syncSpec) { add(s.claim[2], 1) },
		"the claim of another block hash":         func(s *syncSpec) { add(s.claim[4], 1) },
		"an account proof under another state":    func(s *syncSpec) { add(s.steps[AccountChain][1], 1) },
	} {
		t.Run(name, func(t *testing.T) {
			s := b.base.clone()
			mutate(&s)
			err := b.solve(t, capella, s)
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
		})
	}
	// The same update under the rules of another fork: Deneb's start is after it, Bellatrix
	// ends before it (and signs under another domain).
	for _, fork := range []string{"deneb", "bellatrix"} {
		rules, err := cfg.Rules(fork)
		if err != nil {
			t.Fatal(err)
		}
		if b.solve(t, rules, b.base.clone()) == nil {
			t.Errorf("an update of Capella accepted under the rules of %s", fork)
		}
	}
}

// rotationSpec holds the public inputs of a sync-committee rotation's leaves beside a
// sync claim's spec (the same update proves both here).
type rotationSpec struct {
	claim, root []*big.Int
	chunks      [][]*big.Int
}

func (r rotationSpec) clone() rotationSpec {
	c := func(v []*big.Int) []*big.Int {
		out := make([]*big.Int, len(v))
		for i := range v {
			out[i] = new(big.Int).Set(v[i])
		}
		return out
	}
	out := rotationSpec{claim: c(r.claim), root: c(r.root)}
	for _, ch := range r.chunks {
		out.chunks = append(out.chunks, c(ch))
	}
	return out
}

// devnetRotationSpecs are the specs of a lane claim and a rotation under the devnet beacon
// chain's update of period 0 at a committee of 8 (Deneb rules): signed by the committee of
// period 0, carrying the committee of period 1 in two chunks of four keys under the root,
// all linked natively (Step.Links, Step.RotationLinks, Rotation.Links) first.
func devnetRotationSpecs(t *testing.T) (syncSpec, rotationSpec, synccommittee.Config) {
	cfg := devnet.BeaconConfig(8)
	b := devnet.NewBeacon(cfg, "isthmus aggregation test")
	parent := common.Hash{}
	for n := range 20 {
		h := &types.Header{Number: big.NewInt(int64(n)), ParentHash: parent, Difficulty: big.NewInt(0), GasLimit: 30_000_000,
			BaseFee: big.NewInt(1), Time: uint64(12 * n), Root: common.Hash{byte(n), 1}, ReceiptHash: types.EmptyReceiptsHash,
			TxHash: types.EmptyTxsHash, WithdrawalsHash: &types.EmptyWithdrawalsHash, BlobGasUsed: new(uint64), ExcessBlobGas: new(uint64)}
		block := types.NewBlockWithHeader(h).WithBody(types.Body{Withdrawals: []*types.Withdrawal{}})
		if err := b.Add(block); err != nil {
			t.Fatal(err)
		}
		parent = block.Hash()
	}
	ups, err := b.Updates(0, 1)
	if err != nil || len(ups) != 1 {
		t.Fatalf("%d updates: %v", len(ups), err)
	}
	u := &ups[0].Data
	com, err := cfg.NewCommittee(&b.Committee(0).JSON)
	if err != nil {
		t.Fatal(err)
	}
	next, err := cfg.NewCommittee(u.NextSyncCommittee)
	if err != nil {
		t.Fatal(err)
	}
	st, err := synccommittee.StepProof(cfg, com, u)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := cfg.Rules("deneb")
	if err != nil {
		t.Fatal(err)
	}
	rot, err := synccommittee.RotationProof(next, 1, 4, 8, rules.NextCommitteeGindex, u.AttestedHeader.Beacon.StateRoot, u.NextSyncCommitteeBranch)
	if err != nil {
		t.Fatal(err)
	}
	commitment := synccommittee.CommitmentOf(com, 0)
	if err := st.Links(cfg, commitment, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.RotationLinks(cfg, rot, 0); err != nil {
		t.Fatal(err)
	}
	if err := rot.Links(1, synccommittee.CommitmentOf(next, 1)); err != nil {
		t.Fatal(err)
	}
	exec, err := u.FinalizedHeader.Execution.Header()
	if err != nil {
		t.Fatal(err)
	}
	s := stepSpec(t, st, commitment, exec)
	claim := protocol.RotationClaim{SrcDomain: 1, Committee: common.Hash(commitment.Bytes()), NextEpoch: 1, NextCommittee: common.Hash(rot.Commitment.Bytes())}
	r := rotationSpec{claim: publicOf(t, leaf.AssignSyncRotationClaim(claim)), root: publicOf(t, rot.Root)}
	for _, c := range rot.Chunks {
		r.chunks = append(r.chunks, publicOf(t, c))
	}
	return s, r, cfg
}

// A sync-committee rotation links its claim, its update and the next committee's pieces as
// the native links do, on the devnet beacon chain's update; unused, it still must be a valid
// rotation, bound to no claim. Refused: each link broken, and an unused slot's rotation with
// a broken link.
func TestAggregationLinksSyncCommitteeRotation(t *testing.T) {
	s, r, cfg := devnetRotationSpecs(t)
	rules, err := cfg.Rules("deneb")
	if err != nil {
		t.Fatal(err)
	}
	f := ecc.BLS12_377.ScalarField()
	stand := func(n int) *circuittest.StandIn { return circuittest.NewStandIn(t, f, n, true) }
	shape := Shape{AccountSteps: 1, StorageSteps: 1, Sync: 1, SyncRotations: 1}
	stmt, chdr, step := stand(StatementInputs(1, 0, 1)), stand(HeaderInputs), stand(StepInputs)
	sig, hdr, br, fin, pay := stand(SyncSignatureInputs), stand(SyncHeaderInputs), stand(SyncBranchInputs), stand(SyncFinalizedInputs), stand(SyncPayloadInputs)
	claimLeaf, chunk, root := stand(SyncRotationClaimInputs), stand(SyncChunkInputs), stand(2*2+2)
	keys := Keys{Statement: stmt.VK, Header: chdr.VK, Step: step.VK, Sync: &SyncKeys{Signature: sig.VK, Header: hdr.VK, Finality: br.VK,
		Finalized: fin.VK, Payload: pay.VK, Rules: rules,
		Rotation: &SyncRotationKeys{Claim: claimLeaf.VK, Chunk: chunk.VK, Root: root.VK, Size: 8, ChunkKeys: 4, Width: 8}}}
	placeholder, err := New(shape, keys)
	if err != nil {
		t.Fatal(err)
	}
	field := ecc.BW6_761.ScalarField()
	ccs := circuittest.Compile(t, "aggregate-"+shape.String()+"-standins", field, placeholder)
	opt := stdgroth16.GetNativeProverOptions(field, f)
	prove := func(si *circuittest.StandIn, in []*big.Int) Leaf {
		p, w := si.Prove(t, in, opt)
		return Leaf{Proof: p, Public: w}
	}
	update := func(s syncSpec) UpdateLeaves {
		return UpdateLeaves{Signature: prove(sig, s.signature), Header: prove(hdr, s.header), Finality: prove(br, s.finality),
			Finalized: prove(fin, s.finalized), Payload: prove(pay, s.payload), SignatureSlot: s.signatureSlot}
	}
	claimLeaves := SyncLeaves{Update: update(s)}
	for ch := range s.steps {
		claimLeaves.Chains[ch] = []Leaf{prove(step, s.steps[ch])}
	}
	solve := func(r rotationSpec, used []*big.Int) error {
		rl := SyncRotationLeaves{Claim: prove(claimLeaf, r.claim), Update: claimLeaves.Update, Root: prove(root, r.root)}
		for _, c := range r.chunks {
			rl.Chunks = append(rl.Chunks, prove(chunk, c))
		}
		in := append(append([]*big.Int{big.NewInt(3), big.NewInt(9)}, s.claim...), used...)
		public := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(3), 128), big.NewInt(9))
		a, err := Assign(shape, keys, public, prove(stmt, in), nil, []SyncLeaves{claimLeaves}, nil, nil, []SyncRotationLeaves{rl})
		if err != nil {
			t.Fatal(err)
		}
		return circuittest.Solve(ccs, field, a)
	}
	// The statement's rotation claim hash: the claim's, or zero for an unused slot.
	claimed, unused := r.claim[0:2], []*big.Int{big.NewInt(0), big.NewInt(0)}
	if err := solve(r, claimed); err != nil {
		t.Fatalf("the devnet rotation is refused: %v", err)
	}
	if err := solve(r, unused); err != nil {
		t.Fatalf("the rotation in an unused slot is refused: %v", err)
	}
	add := func(v *big.Int, d int64) { v.Add(v, big.NewInt(d)) }
	for name, mutate := range map[string]func(r *rotationSpec){
		"a claim of another hash":              func(r *rotationSpec) { add(r.claim[1], 1) },
		"a claim of another committee":         func(r *rotationSpec) { add(r.claim[2], 1) },
		"a claim skipping a period":            func(r *rotationSpec) { add(r.claim[3], 1) },
		"a claim of another next committee":    func(r *rotationSpec) { add(r.claim[4], 1) },
		"a chain not from the next period":     func(r *rotationSpec) { add(r.chunks[0][0], 1) },
		"a chunk not continuing the chain":     func(r *rotationSpec) { add(r.chunks[1][0], 1) },
		"a chunk's keys under another root":    func(r *rotationSpec) { add(r.chunks[1][3], 1) },
		"two chunks swapped":                   func(r *rotationSpec) { r.chunks[0], r.chunks[1] = r.chunks[1], r.chunks[0] },
		"a committee root under another state": func(r *rotationSpec) { add(r.root[5], 1) },
	} {
		t.Run(name, func(t *testing.T) {
			rs := r.clone()
			mutate(&rs)
			err := solve(rs, claimed)
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
		})
	}
	broken := r.clone()
	broken.chunks[0], broken.chunks[1] = broken.chunks[1], broken.chunks[0]
	if solve(broken, unused) == nil {
		t.Error("an unused slot took a rotation whose chunks do not chain")
	}
}
