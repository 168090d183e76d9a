package leaf

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/receipt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// ReceiptLeafCircuit proves one log of a block: the receipts-trie leaf whose hash is Node
// completes, from nibble Depth on, the key of transaction TxIndex (rlp(TxIndex), whose nibbles,
// left-aligned and zero-padded, make the high half Key of the 32-byte key that the state steps
// above it take: they check the nibbles before Depth), and holds that transaction's receipt,
// whose log LogIndex (its position in the receipt) was emitted by Emitter with Topics
// (NumTopics of them; the others zero) and data of keccak256 DataHash, if DataFits: a log's
// data longer than the leaf's data bound leaves DataFits 0 and DataHash keccak256 of nothing
// (a lane by receipt reads no data; an event claim needs it). The whole receipt is checked as go-ethereum decodes it
// (receipt.LogAt). The receipts trie's branch and extension nodes above the leaf are state
// steps (StateStepCircuit, Account = 0), linked by LinkReceipt; in a block of one transaction
// the leaf is the root.
//
// The leaf node's capacity and the data bound are fixed at compile time
// (NewReceiptLeafCircuit); a receipt over them is proven by the lane's storage instead.
//
// Cost (R1CS, BLS12-377), nearly all keccak-f (~110k constraints a permutation): 940,102 for
// the pipeline's bounds (a node of 815 bytes, 6 permutations; data of 135 bytes, 1), 1,049,349
// at 951/135, 1,496,271 at 1,087/543, 2,823,037 at 2,175/1,087.
type ReceiptLeafCircuit struct {
	Node [2]frontend.Variable `gnark:",public"`
	Key  frontend.Variable    `gnark:",public"`
	// Shape packs Depth, TxIndex, LogIndex, NumTopics and DataFits (PackReceiptShape).
	Shape    frontend.Variable                       `gnark:",public"`
	Emitter  frontend.Variable                       `gnark:",public"`
	Topics   [receipt.MaxTopics][2]frontend.Variable `gnark:",public"`
	DataHash [2]frontend.Variable                    `gnark:",public"`

	Depth, TxIndex, LogIndex, NumTopics, DataFits frontend.Variable

	Bytes  []uints.U8
	Length frontend.Variable

	maxData int
}

// The pipeline's receipt leaf: a leaf node of up to ReceiptNodeLen bytes (the largest that
// keeps the circuit under 2^20 constraints: every receipt holds a 256-byte bloom), a log's
// data hashed up to ReceiptMaxData bytes (one keccak-f block: an ERC-20 Transfer's 32). A
// devnet send of 64 payload bytes is a 663-byte leaf, so a send of up to 192 payload bytes
// proves its lane by receipt (less when a Checkpoint log shares its receipt).
const (
	ReceiptNodeLen = 815
	ReceiptMaxData = 135
)

// ReceiptLeafName is the pipeline's receipt leaf's name in the key store.
const ReceiptLeafName = "receipt-leaf"

// Bit offsets of the packed receipt shape.
const (
	receiptShapeTx, receiptShapeLog, receiptShapeTopics, receiptShapeFits, ReceiptShapeBits = 8, 24, 32, 35, 36
)

// PackReceiptShape is the Shape public input of a receipt leaf.
func PackReceiptShape(depth, txIndex, logIndex, numTopics int, dataFits bool) uint64 {
	s := uint64(depth) | uint64(txIndex)<<receiptShapeTx | uint64(logIndex)<<receiptShapeLog | uint64(numTopics)<<receiptShapeTopics
	if dataFits {
		s |= 1 << receiptShapeFits
	}
	return s
}

// NewReceiptLeafCircuit is the placeholder of a receipt leaf whose node holds up to nodeLen
// bytes and whose log's data holds up to maxData bytes.
func NewReceiptLeafCircuit(nodeLen, maxData int) *ReceiptLeafCircuit {
	return &ReceiptLeafCircuit{Bytes: make([]uints.U8, nodeLen), maxData: maxData}
}

// ReceiptKey is the receipts-trie key of transaction i, rlp(i), left-aligned in 32 bytes
// (the key the state steps above a receipt leaf take), with its length in nibbles.
func ReceiptKey(txIndex uint64) (common.Hash, int, error) {
	enc, err := gethrlp.EncodeToBytes(txIndex)
	if err != nil {
		return common.Hash{}, 0, err
	}
	var k common.Hash
	copy(k[:], enc)
	return k, 2 * len(enc), nil
}

// Define implements frontend.Circuit.
func (c *ReceiptLeafCircuit) Define(api frontend.API) error {
	if c.maxData < 1 || len(c.Bytes) < 32 {
		return errors.New("receipt leaf: compile the placeholder of NewReceiptLeafCircuit")
	}
	rc := rangecheck.New(api)
	rc.Check(c.Depth, 8)
	rc.Check(c.TxIndex, 16)
	rc.Check(c.LogIndex, 8)
	api.AssertIsEqual(api.Add(c.Depth, api.Mul(c.TxIndex, 1<<receiptShapeTx), api.Mul(c.LogIndex, 1<<receiptShapeLog),
		api.Mul(c.NumTopics, uint64(1)<<receiptShapeTopics), api.Mul(c.DataFits, uint64(1)<<receiptShapeFits)), c.Shape)
	return receiptRules(api, &receiptValues{Node: c.Node, Key: c.Key, Emitter: c.Emitter, Topics: c.Topics, DataHash: c.DataHash,
		Depth: c.Depth, TxIndex: c.TxIndex, LogIndex: c.LogIndex, NumTopics: c.NumTopics, DataFits: c.DataFits,
		Bytes: c.Bytes, Length: c.Length, maxData: c.maxData})
}

// receiptValues are a receipt leaf's values, public or not, for receiptRules.
type receiptValues struct {
	Node                                          [2]frontend.Variable
	Key, Emitter                                  frontend.Variable
	Topics                                        [receipt.MaxTopics][2]frontend.Variable
	DataHash                                      [2]frontend.Variable
	Depth, TxIndex, LogIndex, NumTopics, DataFits frontend.Variable
	Bytes                                         []uints.U8
	Length                                        frontend.Variable
	maxData                                       int
}

// receiptRules proves ReceiptLeafCircuit's rules over c, its Depth, TxIndex and LogIndex
// range-checked by the caller.
func receiptRules(api frontend.API, c *receiptValues) error {
	key, keyLen := receiptKey(api, c.TxIndex, c.Key)

	// The leaf: referenced by its hash (a receipt, with its 256-byte bloom, is never embedded).
	out, err := mpt.StepNode(api, c.Bytes, c.Length, key, keyLen, c.Depth)
	if err != nil {
		return fmt.Errorf("receipt leaf: %w", err)
	}
	api.AssertIsEqual(out.IsLeaf, 1)
	nodeHash, err := rlp.Values(api, out.Hash)
	if err != nil {
		return fmt.Errorf("receipt leaf: %w", err)
	}
	assertHalves(api, nodeHash, c.Node)

	l := receipt.LogAt(api, out.Decoder, out.ValueItem.PayloadOffset, out.ValueItem.End, c.LogIndex, c.maxData)
	var emitter frontend.Variable = 0
	for _, b := range l.Address {
		emitter = api.Add(api.Mul(emitter, 256), b)
	}
	api.AssertIsEqual(emitter, c.Emitter)
	api.AssertIsEqual(l.NumTopics, c.NumTopics)
	for i, t := range l.Topics {
		assertHalves(api, t, c.Topics[i])
	}

	// The data's hash: keccak256 over its DataLen bytes when they fit, else over none.
	api.AssertIsEqual(l.DataFits, c.DataFits)
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("receipt leaf: %w", err)
	}
	h, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(0))
	if err != nil {
		return fmt.Errorf("receipt leaf: keccak: %w", err)
	}
	data := make([]uints.U8, len(l.Data))
	for i, b := range l.Data {
		data[i] = bf.ValueOf(b)
	}
	h.Write(data)
	dataHash, err := rlp.Values(api, h.FixedLengthSum(api.Mul(l.DataFits, l.DataLen)))
	if err != nil {
		return fmt.Errorf("receipt leaf: %w", err)
	}
	assertHalves(api, dataHash, c.DataHash)
	return nil
}

// receiptKey asserts that keyHigh is the high half of rlp(txIndex) left-aligned in 32 bytes
// (txIndex range-checked to 16 bits by the caller) and returns the key's nibbles and its length
// in nibbles.
func receiptKey(api frontend.API, txIndex, keyHigh frontend.Variable) ([]frontend.Variable, frontend.Variable) {
	// rlp(TxIndex): 0x80 for 0, the byte itself below 0x80, else 0x81 or 0x82 and one or two
	// big-endian bytes.
	bits := api.ToBinary(txIndex, 16)
	hiByte, loByte := api.FromBinary(bits[8:]...), api.FromBinary(bits[:8]...)
	oneByte := api.IsZero(hiByte)                                           // below 256
	below128 := api.Mul(oneByte, api.Sub(1, bits[7]))                       // below 128
	isZero := api.IsZero(txIndex)                                           // 0
	twoBytes, threeBytes := api.Sub(oneByte, below128), api.Sub(1, oneByte) // 128..255, 256..
	b0 := api.Add(api.Mul(below128, api.Select(isZero, 0x80, txIndex)), api.Mul(twoBytes, 0x81), api.Mul(threeBytes, 0x82))
	b1 := api.Add(api.Mul(twoBytes, loByte), api.Mul(threeBytes, hiByte))
	b2 := api.Mul(threeBytes, loByte)
	keyLen := api.Mul(2, api.Add(below128, api.Mul(twoBytes, 2), api.Mul(threeBytes, 3)))
	api.AssertIsEqual(keyHigh, api.Add(api.Mul(b0, new(big.Int).Lsh(big.NewInt(1), 120)), api.Mul(b1, new(big.Int).Lsh(big.NewInt(1), 112)),
		api.Mul(b2, new(big.Int).Lsh(big.NewInt(1), 104))))
	key := make([]frontend.Variable, mpt.KeyNibbles)
	for i, b := range []frontend.Variable{b0, b1, b2} {
		nb := api.ToBinary(b, 8)
		key[2*i], key[2*i+1] = api.FromBinary(nb[4:]...), api.FromBinary(nb[:4]...)
	}
	for i := 6; i < len(key); i++ {
		key[i] = 0
	}
	return key, keyLen
}

// ReceiptLeafPublic is what a receipt leaf proof attests.
type ReceiptLeafPublic struct {
	Node     common.Hash
	Key      common.Hash // rlp(TxIndex), left-aligned (only its high half is an input)
	Depth    int
	TxIndex  int
	LogIndex int
	Emitter  common.Address
	Topics   []common.Hash
	DataFits bool        // the data fits the leaf's bound: DataHash is its hash
	DataHash common.Hash // keccak256 of the data, or of nothing when it does not fit
}

// AssignReceiptLeaf builds the witness of the receipt leaf of a native walk (mpt.VerifyNative
// of rlp(txIndex) in a receipts trie, its last step the leaf) for log logIndex, in a circuit of
// node capacity nodeLen and data bound maxData.
func AssignReceiptLeaf(txIndex int, steps []mpt.Step, logIndex, nodeLen, maxData int) (*ReceiptLeafCircuit, *ReceiptLeafPublic, error) {
	if len(steps) == 0 || steps[len(steps)-1].Kind != mpt.Leaf {
		return nil, nil, fmt.Errorf("receipt leaf: %w: the walk does not end at a leaf", mpt.ErrProof)
	}
	if txIndex < 0 || txIndex >= 1<<16 || logIndex < 0 || logIndex >= receipt.MaxLogs {
		return nil, nil, fmt.Errorf("receipt leaf: transaction %d, log %d out of range", txIndex, logIndex)
	}
	s := steps[len(steps)-1]
	if len(s.Node) > nodeLen {
		return nil, nil, fmt.Errorf("receipt leaf: %w: a %d-byte leaf, the circuit takes %d", ErrReceiptTooLarge, len(s.Node), nodeLen)
	}
	value, err := leafValue(s.Node)
	if err != nil {
		return nil, nil, err
	}
	lg, err := receipt.DecodeLogNative(value, logIndex)
	if errors.Is(err, receipt.ErrTooManyLogs) {
		return nil, nil, fmt.Errorf("receipt leaf: %w: %w", ErrReceiptTooLarge, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("receipt leaf: %w", err)
	}
	key, _, err := ReceiptKey(uint64(txIndex))
	if err != nil {
		return nil, nil, err
	}
	pub := &ReceiptLeafPublic{Node: s.Hash, Key: key, Depth: s.Depth, TxIndex: txIndex, LogIndex: logIndex,
		Emitter: lg.Address, Topics: lg.Topics, DataFits: len(lg.Data) <= maxData, DataHash: crypto.Keccak256Hash(nil)}
	if pub.DataFits {
		pub.DataHash = crypto.Keccak256Hash(lg.Data)
	}
	a := NewReceiptLeafCircuit(nodeLen, maxData)
	a.Node, a.Key, a.Emitter, a.DataHash = halves(pub.Node), halves(key)[0], new(big.Int).SetBytes(lg.Address[:]), halves(pub.DataHash)
	a.Depth, a.TxIndex, a.LogIndex, a.NumTopics, a.Length = s.Depth, txIndex, logIndex, len(lg.Topics), len(s.Node)
	a.DataFits = boolVar(pub.DataFits)
	a.Shape = PackReceiptShape(s.Depth, txIndex, logIndex, len(lg.Topics), pub.DataFits)
	for i := range a.Topics {
		a.Topics[i] = halves(common.Hash{})
		if i < len(lg.Topics) {
			a.Topics[i] = halves(lg.Topics[i])
		}
	}
	for j := range a.Bytes {
		a.Bytes[j] = uints.NewU8(0)
		if j < len(s.Node) {
			a.Bytes[j] = uints.NewU8(s.Node[j])
		}
	}
	return a, pub, nil
}

// ErrReceiptTooLarge: a receipt leaf or a log's data over the receipt circuit's bounds (the
// relay then proves the lane by storage).
var ErrReceiptTooLarge = errors.New("receipt over the receipt leaf's bounds")

// leafValue is a leaf node's value: the second item of its two-item list.
func leafValue(node []byte) ([]byte, error) {
	_, items, err := rlp.DecodeList(node, 0)
	if err != nil || len(items) != 2 || items[1].IsList {
		return nil, fmt.Errorf("receipt leaf: %w: not a leaf node (%v)", mpt.ErrProof, err)
	}
	return node[items[1].PayloadOffset:items[1].End], nil
}

// LinkReceipt checks that state steps and a receipt leaf form one receipts-trie proof under
// root, as the aggregation circuit checks them: the steps (none when the leaf is the root)
// form a chain from root at depth 0 for the leaf's key in a trie that is not the state trie,
// none of them a leaf, and the last leads to the leaf, by hash, at the leaf's depth.
func LinkReceipt(root common.Hash, steps []*StateStepPublic, l *ReceiptLeafPublic) error {
	want, depth := root, 0
	for i, s := range steps {
		switch {
		case s.Node != want || s.Depth != depth || s.Embedded:
			return fmt.Errorf("%w: receipt step %d is node %s at depth %d, want %s at %d", mpt.ErrProof, i, s.Node, s.Depth, want, depth)
		case s.Key != l.Key || s.Account || s.IsLeaf:
			return fmt.Errorf("%w: receipt step %d: key %s, account %v, leaf %v; want key %s of no account, not a leaf",
				mpt.ErrProof, i, s.Key, s.Account, s.IsLeaf, l.Key)
		case s.OutEmbedded:
			return fmt.Errorf("%w: receipt step %d leads to an embedded node", mpt.ErrProof, i)
		}
		want, depth = s.Out, s.NextDepth
	}
	if l.Node != want || l.Depth != depth {
		return fmt.Errorf("%w: the receipt leaf is node %s at depth %d, want %s at %d", mpt.ErrProof, l.Node, l.Depth, want, depth)
	}
	return nil
}
