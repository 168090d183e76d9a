package aggregate

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	frbls "github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
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
	dir, err := mainnet.Dir()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string, v any) {
		data, err := os.ReadFile(filepath.Join(dir, "lightclient", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatal(err)
		}
	}
	var b synccommittee.Versioned[synccommittee.Bootstrap]
	var updates []synccommittee.Versioned[synccommittee.Update]
	read("bootstrap.json", &b)
	read("updates.json", &updates)
	cfg := synccommittee.Mainnet()
	root, err := cfg.VerifyHeader(&b.Data.Header)
	if err != nil {
		t.Fatal(err)
	}
	store, err := synccommittee.NewStore(cfg, &b.Data, root)
	if err != nil {
		t.Fatal(err)
	}
	u := &updates[0].Data
	period := cfg.Period(uint64(u.SignatureSlot))
	com := store.Current
	if period != cfg.Period(store.Finalized.Slot) {
		com = store.Next
	}
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
	return s, cfg
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
	sl := SyncLeaves{Signature: prove(b.sig, s.signature), Header: prove(b.hdr, s.header), Finality: prove(b.br, s.finality),
		Finalized: prove(b.fin, s.finalized), Payload: prove(b.pay, s.payload), SignatureSlot: s.signatureSlot}
	for ch := range s.steps {
		sl.Chains[ch] = []Leaf{prove(b.step, s.steps[ch])}
	}
	public := new(big.Int).Add(new(big.Int).Lsh(stmtHi, 128), stmtLo)
	a, err := Assign(syncShape, keys, public, prove(b.stmt, append([]*big.Int{stmtHi, stmtLo}, s.claim...)), nil, []SyncLeaves{sl}, nil, nil)
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
	bellatrix, _ := cfg.Rules("bellatrix")
	bellatrix.Domain = capella.Domain
	if b.solve(t, bellatrix, b.base.clone()) == nil {
		t.Error("an update of Capella accepted under Bellatrix's epochs with Capella's domain")
	}
}
