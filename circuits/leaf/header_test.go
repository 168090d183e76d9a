package leaf

import (
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/prover"
)

var field = ecc.BLS12_377.ScalarField()

const srcDomain = 1

// pragueHeader is mainnet block 26,050,794 (Prague, 21 fields).
func pragueHeader(t testing.TB) []byte {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mainnet", "headers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hs []struct {
		Number uint64        `json:"number"`
		RLP    hexutil.Bytes `json:"rlp"`
	}
	if err := json.Unmarshal(data, &hs); err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.Number == 26050794 {
			return h.RLP
		}
	}
	t.Fatal("block 26050794 not in headers.json")
	return nil
}

// testCommittee is n members of weight 10 from fixed seeds.
func testCommittee(t testing.TB, n int) (committee.Committee, []*eddsanative.PrivateKey) {
	var c committee.Committee
	var keys []*eddsanative.PrivateKey
	for i := 0; i < n; i++ {
		k, err := committee.KeyFromSeed(sha256.Sum256([]byte{'v', byte(i)}))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		c = append(c, committee.Member{PublicKey: k.PublicKey, Weight: 10})
	}
	return c, keys
}

// signedLeaf is the assignment of a header leaf over the Prague header, signed by the first
// signers members for domain dom.
func signedLeaf(t testing.TB, capacity, members, signers int, dom uint32) *HeaderCircuit {
	rlp := pragueHeader(t)
	c, keys := testCommittee(t, members)
	_, pub, err := AssignHeader(srcDomain, rlp, c, nil, capacity)
	if err != nil {
		t.Fatal(err)
	}
	d := committee.DigestNative(dom, pub.BlockNumber, pub.BlockHash)
	sigs := map[int]*eddsanative.Signature{}
	for i := 0; i < signers; i++ {
		if sigs[i], err = committee.Sign(keys[i], d); err != nil {
			t.Fatal(err)
		}
	}
	a, _, err := AssignHeader(srcDomain, rlp, c, sigs, capacity)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestHeaderLeaf(t *testing.T) {
	ccs := circuittest.Compile(t, "header leaf, capacity 4", field, NewHeaderCircuit(4))
	solve := func(a *HeaderCircuit) error { return circuittest.Solve(ccs, field, a) }
	if err := solve(signedLeaf(t, 4, 4, 3, srcDomain)); err != nil {
		t.Fatalf("3 of 4 signed a mainnet Prague header: %v", err)
	}
	bump := func(v frontend.Variable) frontend.Variable { return new(big.Int).Add(v.(*big.Int), big.NewInt(1)) }
	mutated := func(f func(a *HeaderCircuit)) *HeaderCircuit {
		a := signedLeaf(t, 4, 4, 4, srcDomain)
		f(a)
		return a
	}
	cases := map[string]*HeaderCircuit{
		"2 of 4 signed":             signedLeaf(t, 4, 4, 2, srcDomain),
		"signed for another domain": signedLeaf(t, 4, 4, 4, srcDomain+1),
		"another committee":         mutated(func(a *HeaderCircuit) { a.Committee = bump(a.Committee) }),
		"wrong block hash (high)":   mutated(func(a *HeaderCircuit) { a.BlockHash[0] = bump(a.BlockHash[0]) }),
		"wrong block hash (low)":    mutated(func(a *HeaderCircuit) { a.BlockHash[1] = bump(a.BlockHash[1]) }),
		"wrong state root":          mutated(func(a *HeaderCircuit) { a.StateRoot[1] = bump(a.StateRoot[1]) }),
		"wrong receipts root":       mutated(func(a *HeaderCircuit) { a.ReceiptsRoot[0] = bump(a.ReceiptsRoot[0]) }),
		"wrong block number":        mutated(func(a *HeaderCircuit) { a.BlockNumber = uint64(26050795) }),
		"domain above 32 bits":      mutated(func(a *HeaderCircuit) { a.SrcDomain = uint64(1<<32 + srcDomain) }),
		"a flipped byte of the RLP": mutated(func(a *HeaderCircuit) { a.RLP[200].Val = 0x5a }),
	}
	for name, a := range cases {
		if solve(a) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The full size: a committee capacity of 64.
func TestHeaderLeafCapacity64(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 1.3M-constraint circuit")
	}
	ccs := circuittest.Compile(t, "header leaf, capacity 64", field, NewHeaderCircuit(64))
	if err := circuittest.Solve(ccs, field, signedLeaf(t, 64, 61, 41, srcDomain)); err != nil {
		t.Fatalf("41 of 61 signed: %v", err)
	}
	if circuittest.Solve(ccs, field, signedLeaf(t, 64, 61, 40, srcDomain)) == nil {
		t.Fatal("40 of 61 (not above two thirds) accepted")
	}
}

// A real Groth16 proof of the header leaf on BLS12-377, made with the prover options the
// BW6-761 aggregation circuit needs to verify it. A path of make e2e: its setup (2^20, ~8
// minutes on 2 cores) does not fit make test's cold budget, whose real-proof run proves the
// rotation and fold kinds.
func TestE2EHeaderLeafGroth16(t *testing.T) {
	if os.Getenv("ISTHMUS_E2E") == "" {
		t.Skip("a real-proof path of make e2e (ISTHMUS_E2E=1)")
	}
	ccs := circuittest.Compile(t, "header leaf, capacity 4", field, NewHeaderCircuit(4))
	// Keys from the key store (ISTHMUS_KEY_DIR, or the user's cache): set up once per machine.
	dir, err := prover.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	keys, err := (&prover.Store{Dir: dir}).Keys("header-leaf-4", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk := keys.PK, keys.VK
	t.Logf("keys (loaded from the store: %v): %s; setup took %.0f s", keys.Loaded, time.Since(start).Round(time.Millisecond), keys.Manifest.SetupSeconds)
	a := signedLeaf(t, 4, 4, 3, srcDomain)
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	proof, err := groth16.Prove(ccs, pk, w, stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prove: %s", time.Since(start).Round(time.Millisecond))
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub, stdgroth16.GetNativeVerifierOptions(ecc.BW6_761.ScalarField(), field)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// The proof is bound to its public inputs: another block number does not verify.
	a.BlockNumber = uint64(26050795)
	w2, err := frontend.NewWitness(a, field, frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	if groth16.Verify(proof, vk, w2, stdgroth16.GetNativeVerifierOptions(ecc.BW6_761.ScalarField(), field)) == nil {
		t.Fatal("the proof verifies for another block number")
	}
}
