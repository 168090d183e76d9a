package leaf

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/circuits/wrap"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// E2E sizes of the universal aggregation: slots, allow-list entries, distinct keys a batch.
const (
	e2eSlots = 16
	e2eKinds = 32
	e2eKeys  = 8
)

var e2eSizes = universal.Sizes{Slots: e2eSlots, Kinds: e2eKinds, Keys: e2eKeys}

// e2eStage is one line of the report.
type e2eStage struct {
	name        string
	constraints int
	seconds     float64
	peakGiB     float64
	note        string
}

// e2eRun is one real-proof run of make e2e: its key store and its stages, for its report.
type e2eRun struct {
	t      *testing.T
	store  *prover.Store
	stages []e2eStage
}

func newE2ERun(t *testing.T) *e2eRun {
	if os.Getenv("ISTHMUS_E2E") == "" {
		t.Skip("real proofs of the universal aggregation: run by make e2e (ISTHMUS_E2E=1)")
	}
	dir, err := prover.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	return &e2eRun{t: t, store: &prover.Store{Dir: dir}}
}

func (r *e2eRun) stage(name string, constraints int, f func() string) {
	r.t.Helper()
	prover.ResetPeak()
	start := time.Now()
	note := f()
	s := e2eStage{name, constraints, time.Since(start).Seconds(), prover.PeakGiB(), note}
	r.t.Logf("%s: %.1f s, peak %.2f GiB, %s", s.name, s.seconds, s.peakGiB, s.note)
	r.stages = append(r.stages, s)
}

func (r *e2eRun) compile(field *big.Int, c frontend.Circuit) constraint.ConstraintSystem {
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return ccs
}

// compileStage compiles a circuit as a stage of the report.
func (r *e2eRun) compileStage(name string, field *big.Int, c frontend.Circuit) constraint.ConstraintSystem {
	var ccs constraint.ConstraintSystem
	r.stage("compile "+name, 0, func() string {
		ccs = r.compile(field, c)
		return fmt.Sprintf("%d constraints", ccs.GetNbConstraints())
	})
	return ccs
}

// keys are the stored keys of a circuit, made if the store lacks them; with prove, its
// proving key too.
func (r *e2eRun) keys(name string, ccs constraint.ConstraintSystem, prove bool) *prover.Keys {
	var k *prover.Keys
	start := time.Now()
	r.stage("keys "+name, ccs.GetNbConstraints(), func() string {
		var err error
		if prove {
			k, err = r.store.Keys(name, ccs, false)
		} else {
			k, err = r.store.Ensure(name, ccs)
		}
		if err != nil {
			r.t.Fatal(err)
		}
		if k.Manifest.CreatedAt.Before(start) {
			return fmt.Sprintf("loaded (setup %.0f s when made)", k.Manifest.SetupSeconds)
		}
		return fmt.Sprintf("setup %.0f s", k.Manifest.SetupSeconds)
	})
	return k
}

// e2eKind is a leaf kind compiled, with its keys.
type e2eKind struct {
	name string
	ccs  constraint.ConstraintSystem
	keys *prover.Keys
}

func (r *e2eRun) kind(name string, placeholder frontend.Circuit, prove bool) *e2eKind {
	ccs := r.compile(ecc.BLS12_377.ScalarField(), placeholder)
	return &e2eKind{name, ccs, r.keys(name, ccs, prove)}
}

// proveLeaf proves a leaf of kind k with the options the aggregation needs.
func (r *e2eRun) proveLeaf(label string, k *e2eKind, a frontend.Circuit) universal.Leaf {
	var l universal.Leaf
	bls := ecc.BLS12_377.ScalarField()
	r.stage("prove leaf "+label, k.ccs.GetNbConstraints(), func() string {
		w, err := frontend.NewWitness(a, bls)
		if err != nil {
			r.t.Fatal(err)
		}
		proof, err := groth16.Prove(k.ccs, k.keys.PK, w, stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), bls))
		if err != nil {
			r.t.Fatal(err)
		}
		pub, err := w.Public()
		if err != nil {
			r.t.Fatal(err)
		}
		l = universal.Leaf{Key: k.keys.VK, Proof: proof, Public: pub}
		return k.name
	})
	return l
}

// proveBatch aggregates leaves under list, wraps the aggregation proof, and verifies the wrap
// proof with the verifier generated for the list's root on a simulated chain: the statement
// must be the chain of claims. It returns the aggregation's and the wrap's keys.
func (r *e2eRun) proveBatch(list *universal.AllowList, leaves []universal.Leaf, claims []common.Hash) (agg, wk *prover.Keys) {
	t := r.t
	placeholder, err := universal.New(e2eSizes)
	if err != nil {
		t.Fatal(err)
	}
	aggCCS := r.compileStage("the aggregation", ecc.BW6_761.ScalarField(), placeholder)
	agg = r.keys(fmt.Sprintf("universal-%dx%dx%d", e2eSlots, e2eKinds, e2eKeys), aggCCS, true)
	var aggProof groth16.Proof
	var aggPublic witness.Witness
	var statement *big.Int
	r.stage("prove the aggregation", aggCCS.GetNbConstraints(), func() string {
		a, stmt, err := universal.Assign(e2eSizes, list, leaves)
		if err != nil {
			t.Fatal(err)
		}
		statement = stmt
		if want := facts.StatementOf(protocol.ChainStatement(claims)); statement.Cmp(want) != 0 {
			t.Fatalf("statement %x, want %x", statement, want)
		}
		w, err := frontend.NewWitness(a, ecc.BW6_761.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		proof, err := groth16.Prove(aggCCS, agg.PK, w, stdgroth16.GetNativeProverOptions(ecc.BN254.ScalarField(), ecc.BW6_761.ScalarField()))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := w.Public()
		if err != nil {
			t.Fatal(err)
		}
		if err := groth16.Verify(proof, agg.VK, pub, stdgroth16.GetNativeVerifierOptions(ecc.BN254.ScalarField(), ecc.BW6_761.ScalarField())); err != nil {
			t.Fatalf("the aggregation proof does not verify: %v", err)
		}
		aggProof, aggPublic = proof, pub
		return fmt.Sprintf("%d leaves in %d slots, verified", len(leaves), e2eSlots)
	})
	agg.PK = nil
	runtime.GC()

	// The wrap, its generated verifier for the allow-list's root, and a call as the Inbox
	// makes it.
	wrapPlaceholder, err := wrap.NewUniversal(agg.VK)
	if err != nil {
		t.Fatal(err)
	}
	wrapCCS := r.compileStage("the wrap", ecc.BN254.ScalarField(), wrapPlaceholder)
	wk = r.keys(fmt.Sprintf("wrap-universal-%dx%dx%d", e2eSlots, e2eKinds, e2eKeys), wrapCCS, true)
	var calldata []byte
	r.stage("prove the wrap", wrapCCS.GetNbConstraints(), func() string {
		a, err := wrap.AssignUniversal(agg.VK, aggProof, aggPublic)
		if err != nil {
			t.Fatal(err)
		}
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		proof, err := groth16.Prove(wrapCCS, wk.PK, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := w.Public()
		if err != nil {
			t.Fatal(err)
		}
		if err := groth16.Verify(proof, wk.VK, pub, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16)); err != nil {
			t.Fatalf("the wrap proof does not verify: %v", err)
		}
		if calldata, err = verifier.Calldata(proof); err != nil {
			t.Fatal(err)
		}
		return "verified"
	})
	wk.PK = nil
	runtime.GC()
	r.stage("verify on the EVM", 0, func() string {
		dir, err := verifier.ContractsDir()
		if err != nil {
			t.Fatal(err)
		}
		compiled, err := verifier.CompileUniversal(dir, wk.VK, list.Root())
		if err != nil {
			t.Fatal(err)
		}
		gas, ok, refused := verifyOnChain(t, compiled, calldata, statement)
		if !ok {
			t.Fatal("the generated verifier refuses the batch")
		}
		if !refused {
			t.Fatal("the generated verifier takes the batch's proof for another statement")
		}
		return fmt.Sprintf("verifyBatch %d gas (a transaction of its own)", gas)
	})
	return agg, wk
}

// e2eKinds are the universal kinds of a lane by storage and a rotation, by the test's kind
// numbers, the fold (the export kind) first in the allow-list.
func (r *e2eRun) laneKinds(prove bool) (map[int]*e2eKind, []groth16.VerifyingKey) {
	kinds := map[int]*e2eKind{}
	var vks []groth16.VerifyingKey
	for _, k := range []struct {
		id          int
		name        string
		placeholder frontend.Circuit
	}{
		{kindFold, "universal-fold", &FoldLeaf{}}, {kindHeader, "universal-header-4", NewHeaderLeaf(4)},
		{kindStep, "universal-step", &StepLeaf{}}, {kindLane, "universal-lane", &LaneLeaf{}},
		{kindRotation, "universal-rotation-4", NewRotationLeaf(4)},
	} {
		kinds[k.id] = r.kind(k.name, k.placeholder, prove || k.id == kindFold)
		vks = append(vks, kinds[k.id].keys.VK)
	}
	return kinds, vks
}

// TestE2EUniversalDevnetLane proves a real devnet lane with a rotation through the universal
// aggregation with real Groth16 proofs at every step: the leaf kinds' keys (made once, kept
// in the key store), one proof a leaf, the aggregation of 16 slots under an allow-list of the
// five kinds, the BN254 wrap, and the generated verifier for the list's root on a simulated
// chain. It runs under `make e2e` (ISTHMUS_E2E=1) and writes its report to ISTHMUS_E2E_OUT
// (default e2e-report): the first run makes keys for ~70 minutes on 2 cores.
func TestE2EUniversalDevnetLane(t *testing.T) {
	r := newE2ERun(t)
	kinds, vks := r.laneKinds(true)
	list, err := universal.NewAllowList(e2eKinds, vks...)
	if err != nil {
		t.Fatal(err)
	}
	b := newDevnetLaneBatch(t)
	var leaves []universal.Leaf
	for i, l := range b.leaves {
		leaves = append(leaves, r.proveLeaf(fmt.Sprintf("%d (%s)", i, l.name), kinds[l.kind], l.a))
	}
	for _, k := range kinds { // the leaves are proven: their proving keys go
		k.keys.PK = nil
	}
	runtime.GC()
	r.proveBatch(list, leaves, b.claims)
	writeE2EReport(t, "universal-devnet-lane.md", "Universal aggregation of a devnet lane, real proofs", r.stages)
}

// testOnlyClaimKind is a TEST-ONLY leaf kind: it produces the claim fact of the hash it is
// given, a claim that holds by fiat (no real allow-list holds it). It shows that a new kind
// needs its own setup and nothing else.
type testOnlyClaimKind struct {
	IO   facts.IO
	Hash [2]frontend.Variable
}

func (c *testOnlyClaimKind) Define(api frontend.API) error {
	rc := rangecheck.New(api) // the one commitment every leaf carries
	rc.Check(c.Hash[0], 128)
	rc.Check(c.Hash[1], 128)
	assertConsumesNothing(api, &c.IO, 0)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagClaim, c.Hash[0], c.Hash[1]))
	return nil
}

// TestE2EUniversalNewKind adds a test-only kind to the allow-list and proves a batch holding
// its claim with real proofs under the aggregation and wrap keys TestE2EUniversalDevnetLane
// made (loaded, not made again): only the new kind's setup runs, and the verifier generated
// for the new list's root takes the batch. Its report is universal-new-kind.md.
func TestE2EUniversalNewKind(t *testing.T) {
	r := newE2ERun(t)
	kinds, vks := r.laneKinds(false)
	extra := r.kind("test-only-claim", &testOnlyClaimKind{}, true)
	list, err := universal.NewAllowList(e2eKinds, append(vks, extra.keys.VK)...)
	if err != nil {
		t.Fatal(err)
	}
	h := crypto.Keccak256Hash([]byte("a claim of the test-only kind"))
	a := &testOnlyClaimKind{Hash: halves(h)}
	v := facts.Values{Produced: ClaimFact(h)}
	v.Assign(&a.IO)
	fa, _, _, err := AssignFoldLeaf(protocol.ChainGenesis, []common.Hash{h}, true)
	if err != nil {
		t.Fatal(err)
	}
	leaves := []universal.Leaf{r.proveLeaf("test-only claim", extra, a), r.proveLeaf("fold", kinds[kindFold], fa)}
	agg, wk := r.proveBatch(list, leaves, []common.Hash{h})
	if !agg.Loaded || !wk.Loaded {
		t.Fatalf("the aggregation's or the wrap's keys were made here (loaded: %v, %v): run it after TestE2EUniversalDevnetLane, as make e2e does",
			agg.Loaded, wk.Loaded)
	}
	writeE2EReport(t, "universal-new-kind.md", "A new kind under the universal aggregation's keys, real proofs", r.stages)
}

// verifyOnChain deploys a generated verifier on a simulated chain and calls its verifyBatch
// with the proof and the statement (ok), and with the statement plus one (refused, when it
// says false), and estimates the first call's gas.
func verifyOnChain(t *testing.T, compiled *verifier.Compiled, proof []byte, statement *big.Int) (gas uint64, ok, refused bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	key := devnet.DevKey("deployer")
	c, err := devnet.StartChain(9, types.GenesisAlloc{crypto.PubkeyToAddress(key.PublicKey): {Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client, err := chain.Dial(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.PollInterval = devnet.BlockInterval / 2
	addr, err := verifier.Deploy(ctx, client, key, compiled)
	if err != nil {
		t.Fatal(err)
	}
	batch := bindings.NewIBatchVerifier()
	bound := client.Contract(batch, addr)
	call := func(input *big.Int) bool {
		r, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, batch.PackVerifyBatch(proof, input), batch.UnpackVerifyBatch)
		if err != nil {
			t.Fatalf("verifyBatch reverted: %v", err)
		}
		return r
	}
	ok, refused = call(statement), !call(new(big.Int).Add(statement, big.NewInt(1)))
	if gas, err = client.Eth.EstimateGas(ctx, ethereum.CallMsg{To: &addr, Data: batch.PackVerifyBatch(proof, statement)}); err != nil {
		t.Fatal(err)
	}
	return gas, ok, refused
}

func writeE2EReport(t *testing.T, file, title string, stages []e2eStage) {
	out := os.Getenv("ISTHMUS_E2E_OUT")
	if out == "" {
		out = "e2e-report"
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&sb, "# %s\n\n%s, %s, %d cores\n\n", title, time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU())
	fmt.Fprintf(&sb, "| stage | constraints | seconds | peak GiB | note |\n|---|---:|---:|---:|---|\n")
	total := 0.0
	for _, s := range stages {
		total += s.seconds
		c := ""
		if s.constraints > 0 {
			c = fmt.Sprint(s.constraints)
		}
		fmt.Fprintf(&sb, "| %s | %s | %.1f | %.2f | %s |\n", s.name, c, s.seconds, s.peakGiB, s.note)
	}
	fmt.Fprintf(&sb, "\nTotal %.0f s.\n", total)
	path := filepath.Join(out, file)
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %s", path)
}
