package synccommittee

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	nativeposeidon2 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/poseidon2"
	fpbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bls12381"
	"github.com/consensys/gnark/std/algebra/emulated/sw_emulated"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/math/uints"
	poseidon2perm "github.com/consensys/gnark/std/permutation/poseidon2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/assigned"
)

// A committee's rotation is proven in pieces, because its SSZ root alone is 1,025 SHA-256
// hashes of 64 bytes at 512 members (a key's root each, then the tree over them), ~70M
// constraints:
//
//   - CommitteeChunkCircuit, one per run of ChunkKeys consecutive members: their keys as the
//     state holds them (48-byte compressed) are the affine points the signature circuit
//     takes, their SSZ subtree root, and the commitment chain carried over them;
//   - MerkleCircuit, layers of it, joining MerkleWidth subtree roots into their parent;
//   - CommitteeRootCircuit, the top: the last subtree roots joined into the keys' root, the
//     aggregate key's root beside it, the committee's SSZ root, and its branch to a state
//     root (the attested state's next-committee branch).
//
// The aggregation links them: the first chunk's chain starts at the commitment tag and each
// chunk's starts where the one before it ended, the last chunk's end is the committee's
// commitment; each layer's children are the roots of the layer below, in order. Their
// native twin is RotationProof, and Rotation.Links the links.
//
// R1CS constraints, each piece under 2^20: a chunk of 4 keys 627,166 (seven SHA-256 of 64
// bytes, ~3.3k a key for its decompression check and commitment), a layer node of 8
// children 616,112, the root over 2 children with the next-committee branch (depth 5)
// 683,003. Eight keys a chunk would be 1.19M (a 2^21 domain). At 512 members: 128 chunks,
// layers of 16 and 2 nodes, the root: 147 proofs.
const (
	ChunkKeys   = 4
	MerkleWidth = 8
)

// CommitteeChunkCircuit proves, for a run of consecutive members, that their compressed keys
// (the SSZ form: x big-endian with the compression, infinity and sign flags in its top
// three bits) are the affine points Keys (on the curve, y canonical, its sign the flag's),
// that their SSZ subtree root is Root, and that the commitment chain over their coordinates
// (as CommitmentOf takes them) goes from StateIn to StateOut.
type CommitteeChunkCircuit struct {
	StateIn, StateOut frontend.Variable `gnark:",public"`
	RootHi, RootLo    frontend.Variable `gnark:",public"`
	Pubkeys           [][48]uints.U8
	Keys              []sw_bls12381.G1Affine
}

// NewCommitteeChunkCircuit is the circuit of a chunk of n members (a power of two).
func NewCommitteeChunkCircuit(n int) *CommitteeChunkCircuit {
	return &CommitteeChunkCircuit{Pubkeys: make([][48]uints.U8, n), Keys: make([]sw_bls12381.G1Affine, n)}
}

// Define is gnark's.
func (c *CommitteeChunkCircuit) Define(api frontend.API) error {
	n := len(c.Keys)
	if n == 0 || n&(n-1) != 0 || len(c.Pubkeys) != n {
		return fmt.Errorf("synccommittee: a chunk of %d keys and %d pubkeys (a power of two)", n, len(c.Pubkeys))
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return err
	}
	fp, err := emulated.NewField[sw_bls12381.BaseField](api)
	if err != nil {
		return err
	}
	curve, err := sw_emulated.New[sw_bls12381.BaseField, sw_bls12381.ScalarField](api, sw_emulated.GetBLS12381Params())
	if err != nil {
		return err
	}
	perm, err := poseidon2perm.NewPoseidon2(api)
	if err != nil {
		return err
	}
	halfP := new(big.Int).Rsh(fpbls12381.Modulus(), 1) // (p-1)/2: y is the larger root above it
	state := c.StateIn
	roots := make([][]uints.U8, n)
	zeros := constBytes(make([]byte, 16))
	for i := 0; i < n; i++ {
		pk, k := c.Pubkeys[i][:], &c.Keys[i]
		flags := api.ToBinary(bf.Value(pk[0]), 8)
		api.AssertIsEqual(flags[7], 1) // compressed
		api.AssertIsEqual(flags[6], 0) // not the identity
		// x: the 48 bytes big-endian, the flags masked, in the emulated field's 64-bit limbs
		// (least significant first).
		for l := 0; l < 6; l++ {
			limb := frontend.Variable(0)
			for j := 0; j < 8; j++ {
				var b frontend.Variable
				if idx := 40 - 8*l + j; idx == 0 {
					b = api.FromBinary(flags[:5]...)
				} else {
					b = bf.Value(pk[idx])
				}
				limb = api.Add(api.Mul(limb, 256), b)
			}
			api.AssertIsEqual(limb, k.X.Limbs[l])
		}
		curve.AssertIsOnCurve(k)
		// y canonical (its limbs those of its reduced bits), its sign the flag's.
		yBits := fp.ToBitsCanonical(&k.Y)
		for l := 0; l < 6; l++ {
			end := min(64*(l+1), len(yBits))
			api.AssertIsEqual(api.FromBinary(yBits[64*l:end]...), k.Y.Limbs[l])
		}
		api.AssertIsEqual(greaterThan(api, yBits, halfP), flags[5])

		state = commitKeyGadget(api, perm, state, k)
		if roots[i], err = sha256Pair(api, pk[:32], append(append([]uints.U8(nil), pk[32:]...), zeros...)); err != nil {
			return err
		}
	}
	api.AssertIsEqual(state, c.StateOut)
	root, err := merkleGadget(api, roots)
	if err != nil {
		return err
	}
	return assertRoot(api, root, c.RootHi, c.RootLo)
}

// greaterThan is 1 when the number of bits (least significant first) is above c, else 0.
func greaterThan(api frontend.API, b []frontend.Variable, c *big.Int) frontend.Variable {
	gt, eq := frontend.Variable(0), frontend.Variable(1)
	for i := len(b) - 1; i >= 0; i-- {
		if c.Bit(i) == 1 {
			eq = api.Mul(eq, b[i])
		} else {
			gt = api.Add(gt, api.Mul(eq, b[i]))
			eq = api.Sub(eq, api.Mul(eq, b[i]))
		}
	}
	return gt
}

// merkleGadget is the root of a power-of-two number of nodes.
func merkleGadget(api frontend.API, nodes [][]uints.U8) ([]uints.U8, error) {
	for len(nodes) > 1 {
		next := make([][]uints.U8, len(nodes)/2)
		for i := range next {
			var err error
			if next[i], err = sha256Pair(api, nodes[2*i], nodes[2*i+1]); err != nil {
				return nil, err
			}
		}
		nodes = next
	}
	return nodes[0], nil
}

// MerkleCircuit proves that len(ChildHi) subtree roots, public, are the children of Root,
// public: a layer of the committee's key tree.
type MerkleCircuit struct {
	ChildHi, ChildLo []frontend.Variable `gnark:",public"`
	RootHi, RootLo   frontend.Variable   `gnark:",public"`
}

// NewMerkleCircuit is the circuit of width children (a power of two).
func NewMerkleCircuit(width int) *MerkleCircuit {
	return &MerkleCircuit{ChildHi: make([]frontend.Variable, width), ChildLo: make([]frontend.Variable, width)}
}

// Define is gnark's.
func (c *MerkleCircuit) Define(api frontend.API) error {
	root, err := childrenRoot(api, c.ChildHi, c.ChildLo)
	if err != nil {
		return err
	}
	return assertRoot(api, root, c.RootHi, c.RootLo)
}

func childrenRoot(api frontend.API, hi, lo []frontend.Variable) ([]uints.U8, error) {
	n := len(hi)
	if n == 0 || n&(n-1) != 0 || len(lo) != n {
		return nil, fmt.Errorf("synccommittee: %d and %d children (a power of two)", len(hi), len(lo))
	}
	nodes := make([][]uints.U8, n)
	for i := range nodes {
		nodes[i] = halvesToBytes(api, hi[i], lo[i])
	}
	return merkleGadget(api, nodes)
}

// CommitteeRootCircuit proves that a sync committee whose keys' subtrees have the public
// roots Child (the last layer, in order) sits at a generalized index of a state whose root
// is public: the keys' root from the children, the committee's SSZ root from it and the
// aggregate key's root, then the branch.
type CommitteeRootCircuit struct {
	ChildHi, ChildLo []frontend.Variable `gnark:",public"`
	StateHi, StateLo frontend.Variable   `gnark:",public"`
	Aggregate        [48]uints.U8
	Branch           [][32]uints.U8
	gindex           uint64
}

// NewCommitteeRootCircuit is the circuit of width children under a committee at gindex
// (NextSyncCommitteeGindex, or Electra's).
func NewCommitteeRootCircuit(width int, gindex uint64) *CommitteeRootCircuit {
	return &CommitteeRootCircuit{ChildHi: make([]frontend.Variable, width), ChildLo: make([]frontend.Variable, width),
		Branch: make([][32]uints.U8, bits.Len64(gindex)-1), gindex: gindex}
}

// Define is gnark's.
func (c *CommitteeRootCircuit) Define(api frontend.API) error {
	depth := bits.Len64(c.gindex) - 1
	if depth < 1 || len(c.Branch) != depth {
		return fmt.Errorf("synccommittee: a branch of %d nodes for generalized index %d", len(c.Branch), c.gindex)
	}
	keys, err := childrenRoot(api, c.ChildHi, c.ChildLo)
	if err != nil {
		return err
	}
	agg, err := sha256Pair(api, c.Aggregate[:32], append(append([]uints.U8(nil), c.Aggregate[32:]...), constBytes(make([]byte, 16))...))
	if err != nil {
		return err
	}
	node, err := sha256Pair(api, keys, agg)
	if err != nil {
		return err
	}
	if node, err = walkBranch(api, node, c.Branch, c.gindex); err != nil {
		return err
	}
	return assertRoot(api, node, c.StateHi, c.StateLo)
}

// Rotation is the assignment of every piece of a committee's rotation proof, and what the
// aggregation checks between them (RotationProof builds it, Links checks it natively).
type Rotation struct {
	Chunks     []*CommitteeChunkCircuit
	Layers     [][]*MerkleCircuit // bottom layer first
	Root       *CommitteeRootCircuit
	Commitment fr.Element // the chain's end: CommitmentOf the committee and its period
}

// RotationProof assigns the pieces that prove committee com, serving period, at gindex
// under stateRoot, in chunks of chunk keys and layers of width children; the last layer's
// roots (at most width) go to the root circuit.
func RotationProof(com *Committee, period uint64, chunk, width int, gindex uint64, stateRoot [32]byte, branch []common.Hash) (*Rotation, error) {
	n := len(com.Pubkeys)
	if chunk < 1 || chunk&(chunk-1) != 0 || n%chunk != 0 || (n/chunk)&(n/chunk-1) != 0 || width < 2 || width&(width-1) != 0 {
		return nil, fmt.Errorf("%w: %d keys in chunks of %d, layers of %d", ErrField, n, chunk, width)
	}
	if len(branch) != bits.Len64(gindex)-1 {
		return nil, fmt.Errorf("%w: a branch of %d nodes for generalized index %d", ErrBranch, len(branch), gindex)
	}
	r := &Rotation{}
	perm := nativeposeidon2.NewDefaultPermutation()
	state := ChainStart(period)
	var roots [][32]byte
	for c := 0; c < n; c += chunk {
		a := NewCommitteeChunkCircuit(chunk)
		a.StateIn = state.BigInt(new(big.Int))
		leaves := make([][32]byte, chunk)
		for i := 0; i < chunk; i++ {
			pk := com.Pubkeys[c+i]
			copy(a.Pubkeys[i][:], constBytes(pk[:]))
			a.Keys[i] = sw_bls12381.NewG1Affine(com.points[c+i])
			state = commitKey(perm, state, com.points[c+i].X.BigInt(new(big.Int)), com.points[c+i].Y.BigInt(new(big.Int)))
			leaves[i] = PubkeyRoot(pk)
		}
		a.StateOut = state.BigInt(new(big.Int))
		root := merkleize(leaves, 0)
		a.RootHi, a.RootLo = halves(root)
		r.Chunks = append(r.Chunks, a)
		roots = append(roots, root)
	}
	r.Commitment = state
	for len(roots) > width {
		var layer []*MerkleCircuit
		var next [][32]byte
		for i := 0; i < len(roots); i += width {
			m := NewMerkleCircuit(width)
			for j := 0; j < width; j++ {
				m.ChildHi[j], m.ChildLo[j] = halves(roots[i+j])
			}
			root := merkleize(roots[i:i+width], 0)
			m.RootHi, m.RootLo = halves(root)
			layer = append(layer, m)
			next = append(next, root)
		}
		r.Layers = append(r.Layers, layer)
		roots = next
	}
	top := NewCommitteeRootCircuit(len(roots), gindex)
	for j := range roots {
		top.ChildHi[j], top.ChildLo[j] = halves(roots[j])
	}
	top.StateHi, top.StateLo = halves(stateRoot)
	copy(top.Aggregate[:], constBytes(com.Aggregate[:]))
	for i := range branch {
		copy(top.Branch[i][:], constBytes(branch[i][:]))
	}
	r.Root = top
	return r, nil
}

// commitKey is the commitment chain's step over one key: four compressions, its x then its
// y in 192-bit halves, low first.
func commitKey(perm *nativeposeidon2.Permutation, state fr.Element, x, y *big.Int) fr.Element {
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 192), big.NewInt(1))
	for _, coord := range []*big.Int{x, y} {
		for _, half := range []*big.Int{new(big.Int).And(coord, mask), new(big.Int).Rsh(coord, 192)} {
			var e fr.Element
			e.SetBigInt(half)
			sb, eb := state.Bytes(), e.Bytes()
			out, err := perm.Compress(sb[:], eb[:])
			if err != nil {
				panic(err)
			}
			state.SetBytes(out)
		}
	}
	return state
}

// Links checks what the aggregation checks between the pieces of a rotation to the committee
// of period: the chain from ChainStart(period) through every chunk to commitment, and each
// layer's children the roots of the layer below, in order, up to the root circuit's.
func (r *Rotation) Links(period uint64, commitment fr.Element) error {
	eq := assigned.Equal
	start := ChainStart(period)
	state := frontend.Variable(start.BigInt(new(big.Int)))
	var roots [][2]frontend.Variable
	for i, c := range r.Chunks {
		if !eq(c.StateIn, state) {
			return fmt.Errorf("%w: chunk %d does not continue the commitment chain", ErrUpdate, i)
		}
		state = c.StateOut
		roots = append(roots, [2]frontend.Variable{c.RootHi, c.RootLo})
	}
	if !eq(state, commitment.BigInt(new(big.Int))) {
		return fmt.Errorf("%w: the chunks' keys are not the committee's commitment", ErrUpdate)
	}
	children := func(hi, lo []frontend.Variable, from [][2]frontend.Variable) error {
		if len(hi) != len(from) {
			return fmt.Errorf("%w: %d children for %d roots", ErrUpdate, len(hi), len(from))
		}
		for j := range hi {
			if !eq(hi[j], from[j][0]) || !eq(lo[j], from[j][1]) {
				return fmt.Errorf("%w: child %d is not the root below it", ErrUpdate, j)
			}
		}
		return nil
	}
	for l, layer := range r.Layers {
		width := len(roots) / max(len(layer), 1)
		var next [][2]frontend.Variable
		for i, m := range layer {
			if err := children(m.ChildHi, m.ChildLo, roots[i*width:(i+1)*width]); err != nil {
				return fmt.Errorf("layer %d, node %d: %w", l, i, err)
			}
			next = append(next, [2]frontend.Variable{m.RootHi, m.RootLo})
		}
		roots = next
	}
	return children(r.Root.ChildHi, r.Root.ChildLo, roots)
}

// toBig reads an assigned integer.
var toBig = assigned.Big
