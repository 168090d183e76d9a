package synccommittee

import (
	"encoding/json"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/std/math/uints"
	gethtypes "github.com/ethereum/go-ethereum/beacon/types"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// mainnetHeaders are the light-client headers of the shared data: the bootstrap's, then each
// update's attested and finalized headers.
func mainnetHeaders(t testing.TB) []*LightClientHeader {
	_, b := mainnetStore(t)
	out := []*LightClientHeader{&b.Header}
	updates := mainnetUpdates(t)
	for i := range updates {
		out = append(out, &updates[i].AttestedHeader, updates[i].FinalizedHeader)
	}
	return out
}

// The payload circuit, by the solver: the execution payload headers of the shared mainnet
// data (Capella) and a Deneb header made from one (its root checked against go-ethereum's)
// prove their block number, block hash, state root and receipts root under the root that the
// beacon header holds (its body's branch natively for every header; in the finalized-header
// circuit, with the slot, for one). Another value of any public field, or a helper or branch
// node changed, fails.
func TestSyncCommitteePayloadCircuit(t *testing.T) {
	field := ecc.BLS12_377.ScalarField()
	headers := mainnetHeaders(t)
	for i, h := range headers {
		exec, err := h.Execution.Header()
		if err != nil {
			t.Fatal(err)
		}
		root, err := exec.Root()
		if err != nil {
			t.Fatal(err)
		}
		beacon := h.Beacon.Header()
		if err := VerifyBranch(root, h.ExecutionBranch, ExecutionPayloadGindex, beacon.BodyRoot); err != nil {
			t.Fatalf("header %d: %v", i, err)
		}
		a, err := AssignPayload(&exec)
		if err != nil {
			t.Fatal(err)
		}
		if hi, lo := halves(root); a.RootHi.(*big.Int).Cmp(hi) != 0 || a.RootLo.(*big.Int).Cmp(lo) != 0 {
			t.Fatalf("header %d: the assignment's root is not the payload's", i)
		}
		if i > 2 {
			continue // the first three solve; the rest are checked natively above
		}
		if err := circuittest.IsSolved(t, "payload", field, NewPayloadCircuit(false), a); err != nil {
			t.Fatalf("header %d (block %d): %v", i, exec.BlockNumber, err)
		}
	}
	first := headers[0]
	exec, _ := first.Execution.Header()
	f, err := AssignFinalizedHeader(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := circuittest.IsSolved(t, "finalized header", field, &FinalizedHeaderCircuit{}, f); err != nil {
		t.Fatalf("the payload root under the beacon header: %v", err)
	}
	for name, mutate := range map[string]func(c *FinalizedHeaderCircuit){
		"another slot":         func(c *FinalizedHeaderCircuit) { c.Slot = uint64(first.Beacon.Slot) + 32 },
		"another payload root": func(c *FinalizedHeaderCircuit) { c.PayloadLo = new(big.Int).Xor(c.PayloadLo.(*big.Int), big.NewInt(1)) },
		"a branch node changed": func(c *FinalizedHeaderCircuit) {
			c.ExecutionBranch[1][0] = uints.NewU8(first.ExecutionBranch[1][0] ^ 1)
		},
	} {
		a, _ := AssignFinalizedHeader(first)
		mutate(a)
		if circuittest.IsSolved(t, "finalized header", field, &FinalizedHeaderCircuit{}, a) == nil {
			t.Errorf("finalized header, %s: solved", name)
		}
	}

	one := big.NewInt(1)
	flip := func(v any) any { return new(big.Int).Xor(v.(*big.Int), one) }
	for name, mutate := range map[string]func(c *PayloadCircuit){
		"another block number":  func(c *PayloadCircuit) { c.Number = exec.BlockNumber + 1 },
		"another block hash":    func(c *PayloadCircuit) { c.BlockHashLo = flip(c.BlockHashLo) },
		"another state root":    func(c *PayloadCircuit) { c.StateHi = flip(c.StateHi) },
		"another receipts root": func(c *PayloadCircuit) { c.ReceiptsLo = flip(c.ReceiptsLo) },
		"another payload root":  func(c *PayloadCircuit) { c.RootHi = flip(c.RootHi) },
		"a helper changed":      func(c *PayloadCircuit) { c.Helpers[2][7] = uints.NewU8(c.Helpers[2][7].Val.(uint8) ^ 1) },
		"a block number over 64 bits": func(c *PayloadCircuit) {
			c.Number = new(big.Int).Add(new(big.Int).SetUint64(exec.BlockNumber), new(big.Int).Lsh(one, 64))
		},
	} {
		a, _ := AssignPayload(&exec)
		mutate(a)
		if circuittest.IsSolved(t, "payload", field, NewPayloadCircuit(false), a) == nil {
			t.Errorf("%s: solved", name)
		}
	}

	// Deneb: the blob fields make a tree of depth 5.
	deneb := first.Execution
	used, excess := Uint64(131072), Uint64(79167488)
	deneb.BlobGasUsed, deneb.ExcessBlobGas = &used, &excess
	dexec, err := deneb.Header()
	if err != nil {
		t.Fatal(err)
	}
	droot, err := dexec.Root()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(&deneb)
	if err != nil {
		t.Fatal(err)
	}
	geth, err := gethtypes.ExecutionHeaderFromJSON("deneb", data)
	if err != nil {
		t.Fatal(err)
	}
	if common.Hash(droot) != common.Hash(geth.PayloadRoot()) {
		t.Fatalf("Deneb payload root %x, go-ethereum %x", droot, geth.PayloadRoot())
	}
	da, err := AssignPayload(&dexec)
	if err != nil {
		t.Fatal(err)
	}
	if err := circuittest.IsSolved(t, "payload, Deneb", field, NewPayloadCircuit(true), da); err != nil {
		t.Fatalf("Deneb: %v", err)
	}
	da, _ = AssignPayload(&dexec)
	da.StateLo = flip(da.StateLo)
	if circuittest.IsSolved(t, "payload, Deneb", field, NewPayloadCircuit(true), da) == nil {
		t.Error("Deneb, another state root: solved")
	}
}

// The helpers of a multiproof are the siblings of the known nodes' paths and nothing else:
// the payload's four fields need six (Capella) and seven (Deneb), a single leaf a whole
// branch.
func TestSyncCommitteeHelperGindices(t *testing.T) {
	for _, c := range []struct {
		depth  int
		leaves []int
		want   []uint64
	}{
		{4, payloadFields, []uint64{23, 29, 8, 10, 15, 6}},
		{5, payloadFields, []uint64{39, 45, 16, 18, 23, 10, 3}},
		{3, []int{4}, []uint64{13, 7, 2}},
	} {
		got := helperGindices(c.depth, c.leaves)
		if len(got) != len(c.want) {
			t.Fatalf("depth %d, leaves %v: %v, want %v", c.depth, c.leaves, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("depth %d, leaves %v: %v, want %v", c.depth, c.leaves, got, c.want)
			}
		}
	}
}
