package synccommittee

import (
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	nativeposeidon2 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/poseidon2"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bls12381"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/test"
	"github.com/ethereum/go-ethereum/common"

	"fmt"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// stateOver is the root of a made-up state holding leaf at gindex, and its branch.
func stateOver(leaf [32]byte, gindex uint64, seed string) ([32]byte, []common.Hash) {
	node := leaf
	var branch []common.Hash
	for i := 0; gindex>>i > 1; i++ {
		sib := sha256.Sum256([]byte{seed[0], byte(i)})
		branch = append(branch, sib)
		if (gindex>>i)&1 == 1 {
			node = hash(sib[:], node[:])
		} else {
			node = hash(node[:], sib[:])
		}
	}
	return node, branch
}

// solves checks that a satisfies circuit (isSolved).
func solves(t *testing.T, name, key string, circuit, a frontend.Circuit) {
	t.Helper()
	if err := isSolved(t, key, circuit, a); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// refused checks that a does not satisfy circuit (isSolved).
func refused(t *testing.T, name, key string, circuit, a frontend.Circuit) {
	t.Helper()
	if isSolved(t, key, circuit, a) == nil {
		t.Errorf("%s: solved", name)
	}
}

// isSolved solves a by circuit compiled once per key in a test (a circuit solved several
// times), or with no key by gnark's test engine (cheaper for one solve).
func isSolved(t *testing.T, key string, circuit, a frontend.Circuit) error {
	t.Helper()
	if key == "" {
		return test.IsSolved(circuit, a, ecc.BLS12_377.ScalarField())
	}
	return circuittest.IsSolved(t, key, ecc.BLS12_377.ScalarField(), circuit, a)
}

// Keys of the rotation's circuits, for circuittest.IsSolved.
func chunkKey(keys int) string   { return fmt.Sprintf("committee chunk of %d keys", keys) }
func merkleKey(width int) string { return fmt.Sprintf("committee node of %d children", width) }
func rootKey(n int, gindex uint64) string {
	return fmt.Sprintf("committee root of %d children at gindex %d", n, gindex)
}

// A rotation of a committee of 8 in chunks of 2 and layers of 2 (four chunks, one layer of
// two, the root circuit over two), by the solver: every piece solves, the links hold and
// end at the committee's commitment (the signature circuit's). Refused: a next committee
// with two keys swapped or one key replaced (under the true state root, or its chunks under
// the true layers), a key byte, its sign flag, its infinity flag, its y negated or not
// canonical, a chain that does not continue, a child changed, another state root or
// aggregate key.
func TestSyncCommitteeRotationCircuits(t *testing.T) {
	const size = 8
	_, com := committeeOf(t, size)
	state, branch := stateOver(com.Root, NextSyncCommitteeGindex, "s")
	r, err := RotationProof(com, 3, 2, 2, NextSyncCommitteeGindex, state, branch)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Chunks) != 4 || len(r.Layers) != 1 || len(r.Layers[0]) != 2 || len(r.Root.ChildHi) != 2 {
		t.Fatalf("shape: %d chunks, %d layers, %d children at the root", len(r.Chunks), len(r.Layers), len(r.Root.ChildHi))
	}
	want := CommitmentOf(com, 3)
	if !r.Commitment.Equal(&want) {
		t.Fatal("the chunks' chain does not end at the signature circuit's commitment")
	}
	if err := r.Links(3, want); err != nil {
		t.Fatal(err)
	}
	if r.Links(4, CommitmentOf(com, 4)) == nil {
		t.Error("the committee's chain linked as another period's")
	}
	for i, c := range r.Chunks {
		solves(t, "chunk", chunkKey(2), NewCommitteeChunkCircuit(2), c)
		_ = i
	}
	solves(t, "layer", merkleKey(2), NewMerkleCircuit(2), r.Layers[0][1])
	solves(t, "root", rootKey(2, NextSyncCommitteeGindex), NewCommitteeRootCircuit(2, NextSyncCommitteeGindex), r.Root)

	// Two keys swapped, or one key replaced by another valid key: the committee's root
	// changes, so the root circuit over the forged chunks fails under the true state (each
	// forged chunk proves by itself), and the forged chunks under the true layers break the
	// links.
	_, outCom := committeeOf(t, size+1)
	for name, forge := range map[string]func(c *Committee){
		"two keys swapped": func(c *Committee) {
			c.Pubkeys[2], c.Pubkeys[3] = c.Pubkeys[3], c.Pubkeys[2]
			c.points[2], c.points[3] = c.points[3], c.points[2]
		},
		"one key replaced": func(c *Committee) { c.Pubkeys[5], c.points[5] = outCom.Pubkeys[size], outCom.points[size] },
	} {
		forged := *com
		forged.Pubkeys = append([][48]byte(nil), com.Pubkeys...)
		forged.points = append(forged.points[:0:0], com.points...)
		forge(&forged)
		fake, err := RotationProof(&forged, 3, 2, 2, NextSyncCommitteeGindex, state, branch)
		if err != nil {
			t.Fatal(err)
		}
		if name == "one key replaced" {
			solves(t, "the forged committee's chunk", chunkKey(2), NewCommitteeChunkCircuit(2), fake.Chunks[2])
		}
		refused(t, name+", under the true state root", rootKey(2, NextSyncCommitteeGindex), NewCommitteeRootCircuit(2, NextSyncCommitteeGindex), fake.Root)
		mixed := *r
		mixed.Chunks = append(append([]*CommitteeChunkCircuit(nil), r.Chunks[:1]...), fake.Chunks[1:]...)
		if mixed.Links(3, fake.Commitment) == nil {
			t.Errorf("%s: the forged chunks under the true layers linked", name)
		}
	}

	chunk := func() *CommitteeChunkCircuit {
		r, _ := RotationProof(com, 3, 2, 2, NextSyncCommitteeGindex, state, branch)
		return r.Chunks[0]
	}
	flipByte := func(u uints.U8, mask uint8) uints.U8 { return uints.NewU8(u.Val.(uint8) ^ mask) }
	var p big.Int
	p.SetString("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", 16)
	for name, mutate := range map[string]func(c *CommitteeChunkCircuit){
		"a key byte":        func(c *CommitteeChunkCircuit) { c.Pubkeys[1][20] = flipByte(c.Pubkeys[1][20], 1) },
		"the sign flag":     func(c *CommitteeChunkCircuit) { c.Pubkeys[0][0] = flipByte(c.Pubkeys[0][0], 0x20) },
		"the infinity flag": func(c *CommitteeChunkCircuit) { c.Pubkeys[0][0] = flipByte(c.Pubkeys[0][0], 0x40) },
		"y negated": func(c *CommitteeChunkCircuit) {
			k := com.points[0]
			k.Neg(&k)
			c.Keys[0] = sw_bls12381.NewG1Affine(k)
		},
		"y not canonical (y + p)": func(c *CommitteeChunkCircuit) {
			y := com.points[1].Y.BigInt(new(big.Int))
			y.Add(y, &p)
			limbs := make([]frontend.Variable, 6)
			for l := range limbs {
				limbs[l] = new(big.Int).And(new(big.Int).Rsh(y, uint(64*l)), new(big.Int).SetUint64(^uint64(0)))
			}
			c.Keys[1].Y = emulated.Element[sw_bls12381.BaseField]{Limbs: limbs}
			// The chain over the limbs as given, so that only canonicity is at stake.
			perm := nativeposeidon2.NewDefaultPermutation()
			var state fr.Element
			state.SetBigInt(toBig(c.StateIn))
			state = commitKey(perm, state, com.points[0].X.BigInt(new(big.Int)), com.points[0].Y.BigInt(new(big.Int)))
			state = commitKey(perm, state, com.points[1].X.BigInt(new(big.Int)), y)
			c.StateOut = state.BigInt(new(big.Int))
		},
		"a chain that does not continue": func(c *CommitteeChunkCircuit) { c.StateIn = new(big.Int).Add(toBig(c.StateIn), big.NewInt(1)) },
		"another subtree root":           func(c *CommitteeChunkCircuit) { c.RootLo = new(big.Int).Xor(toBig(c.RootLo), big.NewInt(1)) },
	} {
		c := chunk()
		mutate(c)
		refused(t, name, chunkKey(2), NewCommitteeChunkCircuit(2), c)
	}
	m := *r.Layers[0][0]
	m.ChildLo = append([]frontend.Variable(nil), m.ChildLo...)
	m.ChildLo[1] = new(big.Int).Xor(toBig(m.ChildLo[1]), big.NewInt(1))
	refused(t, "a child changed", merkleKey(2), NewMerkleCircuit(2), &m)
	other, _ := RotationProof(com, 3, 2, 2, NextSyncCommitteeGindex, state, branch)
	other.Root.StateHi = new(big.Int).Xor(toBig(other.Root.StateHi), big.NewInt(1))
	refused(t, "another state root", rootKey(2, NextSyncCommitteeGindex), NewCommitteeRootCircuit(2, NextSyncCommitteeGindex), other.Root)
	other, _ = RotationProof(com, 3, 2, 2, NextSyncCommitteeGindex, state, branch)
	other.Root.Aggregate[5] = flipByte(other.Root.Aggregate[5], 1)
	refused(t, "another aggregate key", rootKey(2, NextSyncCommitteeGindex), NewCommitteeRootCircuit(2, NextSyncCommitteeGindex), other.Root)
}

// The rotation of mainnet committees at 512 members, in chunks of ChunkKeys and layers of
// MerkleWidth (128 chunks, layers of 16 and 2, the root over 2): natively every link holds
// and the chain ends at the committee's commitment; by the solver, the first and last chunks,
// a node of each layer and the root circuit, for the next committee of the first update
// (under its attested state) and the bootstrap's current one (under its header's state).
func TestSyncCommitteeRotationMainnet(t *testing.T) {
	s, b := mainnetStore(t)
	u := mainnetUpdates(t)[0]
	next, err := s.Config.NewCommittee(u.NextSyncCommittee)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		com    *Committee
		gindex uint64
		state  [32]byte
		branch []common.Hash
		period uint64
	}{
		{"next committee of update 0", next, NextSyncCommitteeGindex, u.AttestedHeader.Beacon.StateRoot, u.NextSyncCommitteeBranch, s.Config.Period(uint64(u.AttestedHeader.Beacon.Slot)) + 1},
		{"the bootstrap's committee", s.Current, CurrentSyncCommitteeGindex, b.Header.Beacon.StateRoot, b.CurrentSyncCommitteeBranch, s.Config.Period(uint64(b.Header.Beacon.Slot))},
	} {
		r, err := RotationProof(c.com, c.period, ChunkKeys, MerkleWidth, c.gindex, c.state, c.branch)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Chunks) != 128 || len(r.Layers) != 2 || len(r.Layers[0]) != 16 || len(r.Layers[1]) != 2 {
			t.Fatalf("%s: %d chunks, %d layers", c.name, len(r.Chunks), len(r.Layers))
		}
		want := CommitmentOf(c.com, c.period)
		if err := r.Links(c.period, want); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		solves(t, c.name+": root", "", NewCommitteeRootCircuit(2, c.gindex), r.Root)
		if c.gindex != NextSyncCommitteeGindex {
			continue
		}
		solves(t, c.name+": first chunk", "", NewCommitteeChunkCircuit(ChunkKeys), r.Chunks[0])
		solves(t, c.name+": last chunk", "", NewCommitteeChunkCircuit(ChunkKeys), r.Chunks[127])
		solves(t, c.name+": layer 0", "", NewMerkleCircuit(MerkleWidth), r.Layers[0][5])
		solves(t, c.name+": layer 1", "", NewMerkleCircuit(MerkleWidth), r.Layers[1][1])
	}
}
