package circuits_test

import (
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/signature/eddsa"

	tedwards "github.com/consensys/gnark-crypto/ecc/twistededwards"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/header"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/circuits/wrap"
)

// Run with: go test ./circuits -run '^$' -bench 'BenchmarkConstraints' -benchtime 1x

var field = ecc.BLS12_377.ScalarField()

type rlpItemCircuit struct{ Data [64]frontend.Variable }

func (c *rlpItemCircuit) Define(api frontend.API) error {
	rlp.New(api, c.Data[:]).Item(0, 1)
	return nil
}

type rlpUintCircuit struct{ Data [64]frontend.Variable }

func (c *rlpUintCircuit) Define(api frontend.API) error {
	d := rlp.New(api, c.Data[:])
	d.Uint(d.Item(0, 1), 8, 1)
	return nil
}

type keccakCircuit struct {
	In  []uints.U8
	Len frontend.Variable
	min int
}

func (c *keccakCircuit) Define(api frontend.API) error {
	h, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(c.min))
	if err != nil {
		return err
	}
	h.Write(c.In)
	if c.min == len(c.In) {
		h.Sum()
	} else {
		h.FixedLengthSum(c.Len)
	}
	return nil
}

type headerFieldsCircuit struct {
	RLP    [header.MaxLen]frontend.Variable
	Length frontend.Variable
}

func (c *headerFieldsCircuit) Define(api frontend.API) error {
	header.DecodeFields(api, c.RLP[:], c.Length)
	return nil
}

type headerCircuit struct {
	RLP    [header.MaxLen]uints.U8
	Length frontend.Variable
}

func (c *headerCircuit) Define(api frontend.API) error {
	_, err := header.Decode(api, c.RLP[:], c.Length)
	return err
}

type eddsaCircuit struct {
	PublicKey eddsa.PublicKey
	Signature eddsa.Signature
	Msg       frontend.Variable
}

func (c *eddsaCircuit) Define(api frontend.API) error {
	curve, err := twistededwards.NewEdCurve(api, tedwards.BLS12_377)
	if err != nil {
		return err
	}
	h, err := poseidon2.New(api)
	if err != nil {
		return err
	}
	return eddsa.Verify(curve, c.Signature, c.Msg, c.PublicKey, h)
}

type mptStepCircuit struct {
	Node   [mpt.MaxNodeLen]uints.U8
	Length frontend.Variable
	Key    [mpt.KeyNibbles]frontend.Variable
	Depth  frontend.Variable
}

func (c *mptStepCircuit) Define(api frontend.API) error {
	_, err := mpt.StepNode(api, c.Node[:], c.Length, c.Key[:], mpt.KeyNibbles, c.Depth)
	return err
}

type committeeCircuit struct {
	W                  committee.Witness
	Commitment, Digest frontend.Variable
}

func (c *committeeCircuit) Define(api frontend.API) error {
	return committee.AssertQuorum(api, c.W, c.Commitment, c.Digest)
}

func compile(b *testing.B, c frontend.Circuit) constraint.ConstraintSystem {
	b.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		b.Fatal(err)
	}
	return ccs
}

func circuitsUnderTest() []struct {
	name string
	c    frontend.Circuit
} {
	return []struct {
		name string
		c    frontend.Circuit
	}{
		{"rlp-item", &rlpItemCircuit{}},
		{"rlp-uint64", &rlpUintCircuit{}},
		{"keccak-136B", &keccakCircuit{In: make([]uints.U8, 136), min: 136}},
		{"keccak-272B", &keccakCircuit{In: make([]uints.U8, 272), min: 272}},
		{"keccak-header-variable-815B", &keccakCircuit{In: make([]uints.U8, header.MaxLen), min: header.MinLen}},
		{"header-rlp-fields", &headerFieldsCircuit{}},
		{"header", &headerCircuit{}},
		{"eddsa-poseidon2", &eddsaCircuit{}},
		{"committee-16", &committeeCircuit{W: committee.Placeholder(16)}},
		{"committee-64", &committeeCircuit{W: committee.Placeholder(64)}},
		{"mpt-step", &mptStepCircuit{}},
		{"state-step", &leaf.StateStepCircuit{}},
		{"header-leaf-16", leaf.NewHeaderCircuit(16)},
		{"header-leaf-64", leaf.NewHeaderCircuit(64)},
		{"rotation-leaf-4", leaf.NewRotationCircuit(4)},
		{"receipt-leaf-815B-data-135B", leaf.NewReceiptLeafCircuit(leaf.ReceiptNodeLen, leaf.ReceiptMaxData)},
		{"receipt-leaf-951B-data-135B", leaf.NewReceiptLeafCircuit(951, 135)},
		{"receipt-leaf-1087B-data-543B", leaf.NewReceiptLeafCircuit(1087, 543)},
		{"receipt-leaf-2175B-data-1087B", leaf.NewReceiptLeafCircuit(2175, 1087)},
		{"receipt-chunk-952B", &leaf.ReceiptChunkLeaf{}},
		{"receipt-data-408B", &leaf.ReceiptDataLeaf{}},
		{"receipt-tail", &leaf.ReceiptTailLeaf{}},
		{"sync-committee-header", &synccommittee.HeaderCircuit{}},
		{"sync-committee-branch-finality", synccommittee.NewBranchCircuit(synccommittee.FinalizedRootGindex)},
		{"sync-committee-branch-next-committee", synccommittee.NewBranchCircuit(synccommittee.NextSyncCommitteeGindex)},
		{"sync-committee-branch-execution", synccommittee.NewBranchCircuit(synccommittee.ExecutionPayloadGindex)},
		{"sync-committee-finalized-header", &synccommittee.FinalizedHeaderCircuit{}},
		{"sync-committee-payload-capella", synccommittee.NewPayloadCircuit(false)},
		{"sync-committee-payload-deneb", synccommittee.NewPayloadCircuit(true)},
		{"sync-committee-rotation-chunk-4", synccommittee.NewCommitteeChunkCircuit(synccommittee.ChunkKeys)},
		{"sync-committee-rotation-merkle-8", synccommittee.NewMerkleCircuit(synccommittee.MerkleWidth)},
		{"sync-committee-rotation-root-2", synccommittee.NewCommitteeRootCircuit(2, synccommittee.NextSyncCommitteeGindex)},
		{"sync-committee-signature-8", synccommittee.NewSignatureCircuit(8)},
		{"sync-committee-signature-512", synccommittee.NewSignatureCircuit(512)},
	}
}

func BenchmarkConstraints(b *testing.B) {
	for _, tc := range circuitsUnderTest() {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.ReportMetric(float64(compile(b, tc.c).GetNbConstraints()), "constraints")
			}
		})
	}
	benchRecursionSlots(b)
	// The universal aggregation (any kinds, witness keys under an allow-list of 32, up to 4
	// or 8 distinct keys a batch), by its number of slots: the deployment's two sizes among
	// them.
	for _, z := range []universal.Sizes{{Slots: 1, Kinds: 32, Keys: 4}, {Slots: 4, Kinds: 32, Keys: 4}, {Slots: 2, Kinds: 32, Keys: 8},
		{Slots: 8, Kinds: 32, Keys: 8}, {Slots: 16, Kinds: 32, Keys: 8}, {Slots: 32, Kinds: 32, Keys: 8}} {
		b.Run(fmt.Sprintf("universal/%dx%dx%d", z.Slots, z.Kinds, z.Keys), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c, err := universal.New(z)
				if err != nil {
					b.Fatal(err)
				}
				ccs, err := frontend.Compile(ecc.BW6_761.ScalarField(), r1cs.NewBuilder, c)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
			}
		})
	}
	// The universal kinds: the attester committee's, and the sync committee's at mainnet's
	// 512 members in Deneb (chunks of 4 keys) for domain 1; and the keyed wrap.
	cfg := aggregator.Config{Sizes: aggregator.DefaultConfig().Sizes,
		Sync: &aggregator.SyncConfig{Beacon: synccommittee.Mainnet(), SrcDomain: 1, Forks: []string{"deneb"}, ChunkKeys: 4, Runs: 8}}
	kinds, _, err := cfg.Kinds()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range kinds {
		b.Run("kind/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_, placeholders, _ := cfg.Kinds() // anew: an emulated circuit keeps state from one compile
				b.ReportMetric(float64(compile(b, placeholders[name]).GetNbConstraints()), "constraints")
			}
		})
	}
	b.Run("wrap-keyed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, wrap.NewKeyed())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
		}
	})
}
