package receipt

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

var field = ecc.BLS12_377.ScalarField()

// blockReceipts are block 21,925,176's receipts, checked to rebuild its receiptsRoot.
func blockReceipts(t testing.TB) types.Receipts {
	t.Helper()
	rs, _, err := mainnet.Receipts()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func encode(t *testing.T, r *types.Receipt) []byte {
	t.Helper()
	enc, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestDecodeLogNativeMatchesGoEthereum(t *testing.T) {
	logs := 0
	for i, r := range blockReceipts(t) {
		enc := encode(t, r)
		for j, want := range r.Logs {
			got, err := DecodeLogNative(enc, j)
			if err != nil {
				t.Fatalf("receipt %d log %d: %v", i, j, err)
			}
			if got.Address != want.Address || !bytes.Equal(got.Data, want.Data) || len(got.Topics) != len(want.Topics) {
				t.Fatalf("receipt %d log %d: twin %+v, go-ethereum %+v", i, j, got, want)
			}
			for k := range want.Topics {
				if got.Topics[k] != want.Topics[k] {
					t.Fatalf("receipt %d log %d topic %d differs", i, j, k)
				}
			}
			logs++
		}
		if _, err := DecodeLogNative(enc, len(r.Logs)); err == nil {
			t.Fatalf("receipt %d: a log past the last decoded", i)
		}
	}
	if logs < 100 {
		t.Fatalf("only %d logs checked", logs)
	}
}

const (
	testCapacity = 2048
	testMaxData  = 1024
)

// expectedLog is a log as circuit inputs.
type expectedLog struct {
	Address   [20]frontend.Variable
	NumTopics frontend.Variable
	Topics    [MaxTopics][32]frontend.Variable
	DataLen   frontend.Variable
	LogData   [testMaxData]frontend.Variable
}

func (e *expectedLog) assert(api frontend.API, l *CLog) {
	for k := range e.Address {
		api.AssertIsEqual(l.Address[k], e.Address[k])
	}
	api.AssertIsEqual(l.NumTopics, e.NumTopics)
	for i := range e.Topics {
		for k := range e.Topics[i] {
			api.AssertIsEqual(l.Topics[i][k], e.Topics[i][k])
		}
	}
	api.AssertIsEqual(l.DataLen, e.DataLen)
	for k := range e.LogData {
		api.AssertIsEqual(l.Data[k], e.LogData[k])
	}
}

func expect(l *types.Log) expectedLog {
	e := expectedLog{NumTopics: len(l.Topics), DataLen: len(l.Data)}
	for k := range e.Address {
		e.Address[k] = l.Address[k]
	}
	for i := range e.Topics {
		for k := range e.Topics[i] {
			e.Topics[i][k] = 0
			if i < len(l.Topics) {
				e.Topics[i][k] = l.Topics[i][k]
			}
		}
	}
	for k := range e.LogData {
		e.LogData[k] = 0
		if k < len(l.Data) {
			e.LogData[k] = l.Data[k]
		}
	}
	return e
}

// logCircuit reads log Index of the receipt Data[:End] and asserts it is the expected log.
type logCircuit struct {
	Data  [testCapacity]frontend.Variable
	End   frontend.Variable
	Index frontend.Variable
	Want  expectedLog
}

func (c *logCircuit) Define(api frontend.API) error {
	for _, b := range c.Data {
		api.ToBinary(b, 8)
	}
	d := rlp.New(api, c.Data[:])
	l := LogAt(api, d, 0, c.End, c.Index, testMaxData)
	api.AssertIsEqual(l.DataFits, 1)
	c.Want.assert(api, l)
	return nil
}

func logAssignment(enc []byte, index int, l *types.Log) *logCircuit {
	a := &logCircuit{End: len(enc), Index: index, Want: expect(l)}
	for k, b := range padded(enc, len(a.Data)) {
		a.Data[k] = b
	}
	return a
}

func TestLogAtOnMainnetReceipts(t *testing.T) {
	ccs := circuittest.Compile(t, "receipt log, 2048-byte receipts", field, &logCircuit{})
	solve := func(a *logCircuit) error { return circuittest.Solve(ccs, field, a) }
	rs := blockReceipts(t)
	checked, legacy, multi := 0, 0, 0
	for i, r := range rs {
		enc := encode(t, r)
		if len(enc) > testCapacity || len(r.Logs) == 0 {
			continue
		}
		for j, l := range r.Logs {
			if len(l.Data) > testMaxData || checked >= 40 && i != 39 && r.Type != types.LegacyTxType {
				continue
			}
			if err := solve(logAssignment(enc, j, l)); err != nil {
				t.Fatalf("receipt %d (type %d, %d bytes) log %d: %v", i, r.Type, len(enc), j, err)
			}
			checked++
			if r.Type == types.LegacyTxType {
				legacy++
			}
			if j > 0 {
				multi++
			}
		}
	}
	if checked < 20 || legacy == 0 || multi == 0 {
		t.Fatalf("weak sample: %d logs, %d legacy, %d past index 0", checked, legacy, multi)
	}

	// Receipt 39: the deposit contract's DepositEvent.
	r := rs[39]
	enc := encode(t, r)
	if r.Logs[0].Address != common.HexToAddress("0x00000000219ab540356cBB839Cbe05303d7705Fa") {
		t.Fatal("receipt 39 is not the deposit")
	}
	bad := map[string]*logCircuit{}
	a := logAssignment(enc, 0, r.Logs[0])
	a.Want.LogData[17] = a.Want.LogData[17].(byte) ^ 1
	bad["other data"] = a
	a = logAssignment(enc, 0, r.Logs[0])
	a.Want.Address[19] = a.Want.Address[19].(byte) ^ 1
	bad["other emitter"] = a
	a = logAssignment(enc, 1, r.Logs[0])
	bad["index past the last log"] = a
	a = logAssignment(enc, 0, r.Logs[0])
	a.End = len(enc) - 1
	bad["receipt cut short"] = a
	flipped := append([]byte(nil), enc...)
	flipped[1] ^= 0x01 // the receipt list's length
	bad["receipt list length changed"] = logAssignment(flipped, 0, r.Logs[0])
	for name, c := range bad {
		if solve(c) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// inclusionCircuit proves log LogIndex of the receipt at Key under Root, through a proof of
// three nodes (capacities 532, 532 and 1,024 bytes: receipt 39's proof has 308, 532 and 915).
type inclusionCircuit struct {
	Root     [32]frontend.Variable
	Node0    [mpt.MaxNodeLen]uints.U8
	Node1    [mpt.MaxNodeLen]uints.U8
	Leaf     [1024]uints.U8
	Lengths  [3]frontend.Variable
	Key      [mpt.KeyNibbles]frontend.Variable
	KeyLen   frontend.Variable
	LogIndex frontend.Variable
	Want     expectedLog
}

func (c *inclusionCircuit) Define(api frontend.API) error {
	for _, k := range c.Key {
		api.ToBinary(k, 4)
	}
	l, err := ProveLog(api, c.Root[:], [][]uints.U8{c.Node0[:], c.Node1[:], c.Leaf[:]}, c.Lengths[:], c.Key[:], c.KeyLen, c.LogIndex, testMaxData)
	if err != nil {
		return err
	}
	c.Want.assert(api, l)
	return nil
}

func TestProveLogFromReceiptsRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 2.2M-constraint circuit")
	}
	proof, err := mainnet.ReceiptProof()
	if err != nil {
		t.Fatal(err)
	}
	_, steps, err := mpt.VerifyNative(proof.Root, proof.Key, proof.Nodes)
	if err != nil || len(steps) != 3 {
		t.Fatalf("receipt proof: %d steps, %v", len(steps), err)
	}
	deposit := blockReceipts(t)[39].Logs[0]
	assign := func(root common.Hash, nodes [3][]byte, key []byte, logIndex int) *inclusionCircuit {
		a := &inclusionCircuit{LogIndex: logIndex, Want: expect(deposit)}
		for k := range a.Root {
			a.Root[k] = root[k]
		}
		fill := func(dst []uints.U8, src []byte) {
			copy(dst, uints.NewU8Array(padded(src, len(dst))))
		}
		fill(a.Node0[:], nodes[0])
		fill(a.Node1[:], nodes[1])
		fill(a.Leaf[:], nodes[2])
		for i := range nodes {
			a.Lengths[i] = len(nodes[i])
		}
		nib := mpt.Nibbles(key)
		a.KeyLen = len(nib)
		for k := range a.Key {
			a.Key[k] = byte(0)
			if k < len(nib) {
				a.Key[k] = nib[k]
			}
		}
		return a
	}
	nodes := [3][]byte{steps[0].Node, steps[1].Node, steps[2].Node}
	ccs := circuittest.Compile(t, "receipt inclusion, 3 levels", field, &inclusionCircuit{})
	solve := func(a *inclusionCircuit) error { return circuittest.Solve(ccs, field, a) }
	if err := solve(assign(proof.Root, nodes, proof.Key, 0)); err != nil {
		t.Fatalf("receipt 39's deposit log under the receiptsRoot: %v", err)
	}
	swapped := nodes
	swapped[0], swapped[1] = nodes[1], nodes[0]
	leafFlipped := nodes
	leafFlipped[2] = append([]byte(nil), nodes[2]...)
	leafFlipped[2][700] ^= 1
	for name, a := range map[string]*inclusionCircuit{
		"another root":                  assign(common.Hash{1}, nodes, proof.Key, 0),
		"another receipt key":           assign(proof.Root, nodes, []byte{0x26}, 0),
		"nodes swapped":                 assign(proof.Root, swapped, proof.Key, 0),
		"a leaf byte flipped":           assign(proof.Root, leafFlipped, proof.Key, 0),
		"a log index past the last log": assign(proof.Root, nodes, proof.Key, 1),
	} {
		if solve(a) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// padded is b followed by zeros up to n bytes.
func padded(b []byte, n int) []byte {
	return append(append([]byte(nil), b...), make([]byte, n-len(b))...)
}
