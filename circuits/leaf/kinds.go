package leaf

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/header"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The leaf kinds of the universal aggregation (circuits/universal): the rules of the leaf
// circuits (header, state step, rotation, receipt leaf), their inputs and outputs as facts
// (circuits/facts).
//
//	path(root, key, account, depth, node, embedded)  the node lies at depth on key's path in the trie of root
//	value(root, key, account, value)                 key's leaf in the trie of root holds value
//	header(src, committee, number, hash, stateRoot, receiptsRoot)
//	                                                 committee signed block (number, hash) of src, whose roots these are
//	log(receiptsRoot, tx, index, emitter, topics, n, fits, dataHash)
//	                                                 transaction tx's receipt under receiptsRoot holds log index of emitter with
//	                                                 n topics (the others zero) and, if fits, data of keccak dataHash
//	claim(h)                                         the claim of hash h (keccak of its encoding) holds
//	chain(s)                                         s is a statement chain (protocol.ChainStatement) of claims that hold
//
// Hashes are two values, their 128-bit halves (high first); flags are 0 or 1.
var (
	tagPath   = facts.Tag("isthmus.fact.trie-path.v1")
	tagValue  = facts.Tag("isthmus.fact.trie-value.v1")
	tagHeader = facts.Tag("isthmus.fact.header.v1")
	tagLog    = facts.Tag("isthmus.fact.receipt-log.v1")
	tagClaim  = facts.Tag("isthmus.fact.claim.v1")
	tagChain  = facts.Tag("isthmus.fact.chain.v1")
)

// frHalves are a hash's 128-bit halves as field elements, high first.
func frHalves(h common.Hash) [2]fr.Element {
	var out [2]fr.Element
	out[0].SetBytes(h[:16])
	out[1].SetBytes(h[16:])
	return out
}

func frUint(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

func frBool(b bool) fr.Element {
	if b {
		return frUint(1)
	}
	return frUint(0)
}

// PathFact is the path fact natively.
func PathFact(root, key common.Hash, account bool, depth int, node common.Hash, embedded bool) fr.Element {
	r, k, n := frHalves(root), frHalves(key), frHalves(node)
	return facts.DigestOf(tagPath, r[0], r[1], k[0], k[1], frBool(account), frUint(uint64(depth)), n[0], n[1], frBool(embedded))
}

// ValueFact is the value fact natively.
func ValueFact(root, key common.Hash, account bool, value common.Hash) fr.Element {
	r, k, v := frHalves(root), frHalves(key), frHalves(value)
	return facts.DigestOf(tagValue, r[0], r[1], k[0], k[1], frBool(account), v[0], v[1])
}

// HeaderFact is the header fact natively.
func HeaderFact(h *HeaderPublic) fr.Element {
	var c fr.Element
	c.SetBytes(h.Committee[:])
	b, s, r := frHalves(h.BlockHash), frHalves(h.StateRoot), frHalves(h.ReceiptsRoot)
	return facts.DigestOf(tagHeader, frUint(uint64(h.SrcDomain)), c, frUint(h.BlockNumber), b[0], b[1], s[0], s[1], r[0], r[1])
}

// LogFact is the log fact natively, of a receipt leaf's reading under receiptsRoot.
func LogFact(receiptsRoot common.Hash, l *ReceiptLeafPublic) fr.Element {
	r, d := frHalves(receiptsRoot), frHalves(l.DataHash)
	var emitter fr.Element
	emitter.SetBytes(l.Emitter[:])
	values := []fr.Element{r[0], r[1], frUint(uint64(l.TxIndex)), frUint(uint64(l.LogIndex)), emitter}
	for i := range protocol.MaxTopics {
		var t [2]fr.Element
		if i < len(l.Topics) {
			t = frHalves(l.Topics[i])
		}
		values = append(values, t[0], t[1])
	}
	values = append(values, frUint(uint64(len(l.Topics))), frBool(l.DataFits), d[0], d[1])
	return facts.DigestOf(tagLog, values...)
}

// logDigest is the log fact in-circuit.
func logDigest(api frontend.API, root [2]frontend.Variable, tx, index, emitter frontend.Variable, topics [protocol.MaxTopics][2]frontend.Variable,
	numTopics, fits frontend.Variable, dataHash [2]frontend.Variable) frontend.Variable {
	values := []frontend.Variable{root[0], root[1], tx, index, emitter}
	for _, t := range topics {
		values = append(values, t[0], t[1])
	}
	values = append(values, numTopics, fits, dataHash[0], dataHash[1])
	return digest(api, tagLog, values...)
}

// ClaimFact is the claim fact natively.
func ClaimFact(claimHash common.Hash) fr.Element {
	h := frHalves(claimHash)
	return facts.DigestOf(tagClaim, h[0], h[1])
}

// ChainFact is the chain fact natively.
func ChainFact(s common.Hash) fr.Element {
	h := frHalves(s)
	return facts.DigestOf(tagChain, h[0], h[1])
}

func digest(api frontend.API, tag fr.Element, values ...frontend.Variable) frontend.Variable {
	d, err := facts.Digest(api, tag, values...)
	if err != nil {
		panic(err) // Poseidon2 has parameters for every curve the leaves compile on
	}
	return d
}

func assertConsumesNothing(api frontend.API, io *facts.IO, from int) {
	for i := from; i < facts.Consumed; i++ {
		api.AssertIsEqual(io.Consumed[i], 0)
	}
}

// StepLeaf is a state step as a leaf kind: StateStepCircuit's rules over one node, which
// consumes the path fact of its node (nothing at depth 0, where the node is the trie's root
// by hash) and produces the path fact of the next node or, at a leaf (ending at depth 64),
// the value fact of the key.
type StepLeaf struct {
	IO facts.IO

	Root, Node, Key, Out                                     [2]frontend.Variable
	Depth, NextDepth, IsLeaf, Account, Embedded, OutEmbedded frontend.Variable

	Bytes  [mpt.MaxNodeLen]uints.U8
	Length frontend.Variable
}

// Define implements frontend.Circuit.
func (c *StepLeaf) Define(api frontend.API) error {
	api.AssertIsBoolean(c.Account)
	api.AssertIsBoolean(c.Embedded)
	rc := rangecheck.New(api)
	rc.Check(c.Depth, 8)
	rc.Check(c.NextDepth, 8)
	if err := stateStep(api, &stepValues{Node: c.Node, Key: c.Key, Out: c.Out, IsLeaf: c.IsLeaf, Account: c.Account,
		Embedded: c.Embedded, OutEmbedded: c.OutEmbedded, Depth: c.Depth, NextDepth: c.NextDepth, Bytes: c.Bytes[:], Length: c.Length}); err != nil {
		return err
	}
	first := api.IsZero(c.Depth)
	for h := range c.Node {
		api.AssertIsEqual(api.Mul(first, api.Sub(c.Node[h], c.Root[h])), 0)
	}
	api.AssertIsEqual(api.Mul(first, c.Embedded), 0)
	path := digest(api, tagPath, c.Root[0], c.Root[1], c.Key[0], c.Key[1], c.Account, c.Depth, c.Node[0], c.Node[1], c.Embedded)
	api.AssertIsEqual(c.IO.Consumed[0], api.Select(first, 0, path))
	assertConsumesNothing(api, &c.IO, 1)

	api.AssertIsEqual(api.Mul(c.IsLeaf, api.Sub(c.NextDepth, mpt.KeyNibbles)), 0)
	next := digest(api, tagPath, c.Root[0], c.Root[1], c.Key[0], c.Key[1], c.Account, c.NextDepth, c.Out[0], c.Out[1], c.OutEmbedded)
	value := digest(api, tagValue, c.Root[0], c.Root[1], c.Key[0], c.Key[1], c.Account, c.Out[0], c.Out[1])
	api.AssertIsEqual(c.IO.Produced, api.Select(c.IsLeaf, value, next))
	return nil
}

// AssignStepLeaf builds step i of a native walk of key under root (see mpt.VerifyNative)
// whose leaf holds value, in the state trie (account) or a storage trie, and its facts.
func AssignStepLeaf(root, key common.Hash, steps []mpt.Step, i int, value []byte, account bool) (*StepLeaf, facts.Values, error) {
	var v facts.Values
	s, pub, err := AssignStateStep(key, steps, i, value, account)
	if err != nil {
		return nil, v, err
	}
	if pub.Depth == 0 && (pub.Node != root || pub.Embedded) {
		return nil, v, fmt.Errorf("state step %d: %w: the node at depth 0 is %s, not the root %s", i, mpt.ErrProof, pub.Node, root)
	}
	a := &StepLeaf{Root: halves(root), Node: s.Node, Key: s.Key, Out: s.Out, Depth: s.Depth, NextDepth: s.NextDepth, IsLeaf: s.IsLeaf,
		Account: s.Account, Embedded: s.Embedded, OutEmbedded: s.OutEmbedded, Bytes: s.Bytes, Length: s.Length}
	if pub.Depth > 0 {
		v.Consumed[0] = PathFact(root, key, account, pub.Depth, pub.Node, pub.Embedded)
	}
	v.Produced = PathFact(root, key, account, pub.NextDepth, pub.Out, pub.OutEmbedded)
	if pub.IsLeaf {
		v.Produced = ValueFact(root, key, account, pub.Out)
	}
	v.Assign(&a.IO)
	return a, v, nil
}

// HeaderLeaf is a header leaf as a leaf kind: HeaderCircuit's rules, which consume nothing
// and produce the header fact.
type HeaderLeaf struct {
	IO facts.IO

	SrcDomain, Committee, BlockNumber  frontend.Variable
	BlockHash, StateRoot, ReceiptsRoot [2]frontend.Variable

	RLP     [header.MaxLen]uints.U8
	Length  frontend.Variable
	Signers committee.Witness
}

// NewHeaderLeaf is the placeholder to compile a header leaf kind for a committee capacity.
func NewHeaderLeaf(capacity int) *HeaderLeaf {
	return &HeaderLeaf{Signers: committee.Placeholder(capacity)}
}

// Define implements frontend.Circuit.
func (c *HeaderLeaf) Define(api frontend.API) error {
	if err := headerRules(api, &headerValues{SrcDomain: c.SrcDomain, Committee: c.Committee, BlockNumber: c.BlockNumber, BlockHash: c.BlockHash,
		StateRoot: c.StateRoot, ReceiptsRoot: c.ReceiptsRoot, RLP: c.RLP[:], Length: c.Length, Signers: c.Signers}); err != nil {
		return err
	}
	assertConsumesNothing(api, &c.IO, 0)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagHeader, c.SrcDomain, c.Committee, c.BlockNumber, c.BlockHash[0], c.BlockHash[1],
		c.StateRoot[0], c.StateRoot[1], c.ReceiptsRoot[0], c.ReceiptsRoot[1]))
	return nil
}

// AssignHeaderLeaf builds a header leaf kind's witness (as AssignHeader) and its facts.
func AssignHeaderLeaf(srcDomain uint32, rlp []byte, c committee.Committee, sigs map[int]*eddsanative.Signature, capacity int) (*HeaderLeaf, *HeaderPublic, facts.Values, error) {
	var v facts.Values
	h, pub, err := AssignHeader(srcDomain, rlp, c, sigs, capacity)
	if err != nil {
		return nil, nil, v, err
	}
	a := &HeaderLeaf{SrcDomain: h.SrcDomain, Committee: h.Committee, BlockNumber: h.BlockNumber, BlockHash: h.BlockHash,
		StateRoot: h.StateRoot, ReceiptsRoot: h.ReceiptsRoot, RLP: h.RLP, Length: h.Length, Signers: h.Signers}
	v.Produced = HeaderFact(pub)
	v.Assign(&a.IO)
	return a, pub, v, nil
}

// LaneLeaf is a lane claim proven by storage (a head or a checkpoint) as a leaf kind: the
// claim's encoding and the trie keys it derives (laneClaim). It consumes the header fact of the claim's
// block, the value facts of the Outbox account under its state root and of the claim's two
// storage slots under the account's storage root, and produces the claim fact.
type LaneLeaf struct {
	IO facts.IO

	SrcDomain, Committee, BlockNumber               frontend.Variable
	BlockHash, StateRoot, ReceiptsRoot, StorageRoot [2]frontend.Variable
	AccountKey, WordKey, AccKey, Word, Acc          [2]frontend.Variable
	Encoded                                         [protocol.LaneClaimSize]uints.U8
}

// Define implements frontend.Circuit.
func (c *LaneLeaf) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("lane leaf: %w", err)
	}
	keccak := func(in []uints.U8) ([]uints.U8, error) {
		h, err := sha3.NewLegacyKeccak256(api)
		if err != nil {
			return nil, fmt.Errorf("lane leaf: keccak: %w", err)
		}
		h.Write(in)
		return h.Sum(), nil
	}
	claimHash, err := laneClaim(api, bf, keccak, c.Encoded[:], &ClaimPublic{SrcDomain: c.SrcDomain, Committee: c.Committee,
		BlockNumber: c.BlockNumber, BlockHash: c.BlockHash, AccountKey: c.AccountKey, WordKey: c.WordKey, AccKey: c.AccKey, Word: c.Word, Acc: c.Acc})
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagHeader, c.SrcDomain, c.Committee, c.BlockNumber, c.BlockHash[0], c.BlockHash[1],
		c.StateRoot[0], c.StateRoot[1], c.ReceiptsRoot[0], c.ReceiptsRoot[1]))
	api.AssertIsEqual(c.IO.Consumed[1], digest(api, tagValue, c.StateRoot[0], c.StateRoot[1], c.AccountKey[0], c.AccountKey[1], 1, c.StorageRoot[0], c.StorageRoot[1]))
	api.AssertIsEqual(c.IO.Consumed[2], digest(api, tagValue, c.StorageRoot[0], c.StorageRoot[1], c.WordKey[0], c.WordKey[1], 0, c.Word[0], c.Word[1]))
	api.AssertIsEqual(c.IO.Consumed[3], digest(api, tagValue, c.StorageRoot[0], c.StorageRoot[1], c.AccKey[0], c.AccKey[1], 0, c.Acc[0], c.Acc[1]))
	h := mpt.Ref(api, byteValues(bf, claimHash))
	api.AssertIsEqual(c.IO.Produced, digest(api, tagClaim, h[0], h[1]))
	return nil
}

// AssignLaneLeaf builds a lane leaf kind's witness for a lane claim proven by storage in the
// block of the header leaf hdr, under the Outbox's storage root, whose first storage value
// is word (a head's lane word, a checkpoint's accumulator), and its facts. It refuses a
// claim of another block, a head whose word's count is not the claim's and a checkpoint
// whose value is not its accumulator.
func AssignLaneLeaf(c protocol.LaneClaim, hdr *HeaderPublic, storageRoot, word common.Hash) (*LaneLeaf, facts.Values, error) {
	var v facts.Values
	if c.Kind.ByReceipt() {
		return nil, v, fmt.Errorf("lane leaf: a lane by receipt (%v) is not proven by storage", c.Kind)
	}
	if c.SrcDomain != hdr.SrcDomain || c.Committee != hdr.Committee || c.BlockNumber != hdr.BlockNumber || c.BlockHash != hdr.BlockHash {
		return nil, v, fmt.Errorf("lane leaf: the claim names block %d (%s) of domain %d under committee %s, the header is block %d (%s) of domain %d under %s",
			c.BlockNumber, c.BlockHash, c.SrcDomain, c.Committee, hdr.BlockNumber, hdr.BlockHash, hdr.SrcDomain, hdr.Committee)
	}
	p, k, enc, err := assignClaim(c, word)
	if err != nil {
		return nil, v, fmt.Errorf("lane leaf: %w", err)
	}
	a := &LaneLeaf{SrcDomain: p.SrcDomain, Committee: p.Committee, BlockNumber: p.BlockNumber, BlockHash: p.BlockHash,
		StateRoot: halves(hdr.StateRoot), ReceiptsRoot: halves(hdr.ReceiptsRoot), StorageRoot: halves(storageRoot),
		AccountKey: p.AccountKey, WordKey: p.WordKey, AccKey: p.AccKey, Word: p.Word, Acc: p.Acc, Encoded: enc}
	v.Consumed = [facts.Consumed]fr.Element{HeaderFact(hdr), ValueFact(hdr.StateRoot, k.AccountKey, true, storageRoot),
		ValueFact(storageRoot, k.WordKey, false, k.Word), ValueFact(storageRoot, k.AccKey, false, c.Acc)}
	v.Produced = ClaimFact(c.Hash())
	v.Assign(&a.IO)
	return a, v, nil
}

// RotationLeaf is an attester committee's rotation as a leaf kind: RotationCircuit's rules,
// which consume nothing and produce the claim fact of the rotation claim.
type RotationLeaf struct {
	IO facts.IO

	ClaimHash [2]frontend.Variable
	Encoded   [protocol.RotationClaimSize]uints.U8
	Signers   committee.Witness
}

// NewRotationLeaf is the placeholder to compile a rotation leaf kind for a committee capacity.
func NewRotationLeaf(capacity int) *RotationLeaf {
	return &RotationLeaf{Signers: committee.Placeholder(capacity)}
}

// Define implements frontend.Circuit.
func (c *RotationLeaf) Define(api frontend.API) error {
	if err := rotationRules(api, c.ClaimHash, c.Encoded[:], c.Signers); err != nil {
		return err
	}
	assertConsumesNothing(api, &c.IO, 0)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagClaim, c.ClaimHash[0], c.ClaimHash[1]))
	return nil
}

// AssignRotationLeaf builds a rotation leaf kind's witness (as AssignRotation) and its facts.
func AssignRotationLeaf(r protocol.RotationClaim, c committee.Committee, sigs map[int]*eddsanative.Signature, capacity int) (*RotationLeaf, facts.Values, error) {
	var v facts.Values
	s, h, err := AssignRotation(r, c, sigs, capacity)
	if err != nil {
		return nil, v, err
	}
	a := &RotationLeaf{ClaimHash: s.ClaimHash, Encoded: s.Encoded, Signers: s.Signers}
	v.Produced = ClaimFact(h)
	v.Assign(&a.IO)
	return a, v, nil
}

// FoldLeaf is one step of the statement chain (protocol.ChainStatement), the export kind: it
// consumes the chain fact of Prev (nothing where Prev is protocol.ChainGenesis) and the
// claim facts of N claim hashes (1 ≤ N ≤ protocol.ClaimsPerFold; the inputs past N consume
// nothing), and produces the chain fact of keccak256(Prev ‖ Claims[:N]) or, with Raw = 1,
// that hash's low facts.StatementBits bits: the statement the aggregation exports.
type FoldLeaf struct {
	IO facts.IO

	Prev   [32]uints.U8
	Claims [protocol.ClaimsPerFold][32]uints.U8
	N, Raw frontend.Variable
}

// Define implements frontend.Circuit.
func (c *FoldLeaf) Define(api frontend.API) error {
	if facts.Consumed < 1+protocol.ClaimsPerFold {
		return fmt.Errorf("fold leaf: %d claims a fold, %d consumed facts a leaf", protocol.ClaimsPerFold, facts.Consumed)
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("fold leaf: %w", err)
	}
	api.AssertIsBoolean(c.Raw)
	// 1 ≤ N ≤ ClaimsPerFold.
	var zero frontend.Variable = 1
	for n := 1; n <= protocol.ClaimsPerFold; n++ {
		zero = api.Mul(zero, api.Sub(c.N, n))
	}
	api.AssertIsEqual(zero, 0)

	prev := mpt.Ref(api, byteValues(bf, c.Prev[:]))
	g := frHalves(protocol.ChainGenesis)
	genesis := api.Mul(api.IsZero(api.Sub(prev[0], g[0].BigInt(new(big.Int)))), api.IsZero(api.Sub(prev[1], g[1].BigInt(new(big.Int)))))
	api.AssertIsEqual(c.IO.Consumed[0], api.Select(genesis, 0, digest(api, tagChain, prev[0], prev[1])))

	in := append([]uints.U8{}, c.Prev[:]...)
	for j := range c.Claims {
		used := api.Sub(1, api.IsZero(api.Sub(c.N, j))) // j < N, with N ≥ j
		for m := 0; m < j; m++ {
			used = api.Mul(used, api.Sub(1, api.IsZero(api.Sub(c.N, m))))
		}
		h := mpt.Ref(api, byteValues(bf, c.Claims[j][:]))
		api.AssertIsEqual(c.IO.Consumed[1+j], api.Mul(used, digest(api, tagClaim, h[0], h[1])))
		in = append(in, c.Claims[j][:]...)
	}
	assertConsumesNothing(api, &c.IO, 1+protocol.ClaimsPerFold)

	k, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(64))
	if err != nil {
		return fmt.Errorf("fold leaf: keccak: %w", err)
	}
	k.Write(in)
	next := mpt.Ref(api, byteValues(bf, k.FixedLengthSum(api.Add(32, api.Mul(c.N, 32)))))
	hi := api.ToBinary(next[0], 128)
	low := api.Add(api.Mul(api.FromBinary(hi[:facts.StatementBits-128]...), new(big.Int).Lsh(big.NewInt(1), 128)), next[1])
	api.AssertIsEqual(c.IO.Produced, api.Select(c.Raw, low, digest(api, tagChain, next[0], next[1])))
	return nil
}

// AssignFoldLeaf builds a fold leaf's witness over 1 to protocol.ClaimsPerFold claim hashes
// after prev, its facts, and the chain's next value.
func AssignFoldLeaf(prev common.Hash, claims []common.Hash, raw bool) (*FoldLeaf, facts.Values, common.Hash, error) {
	var v facts.Values
	if len(claims) < 1 || len(claims) > protocol.ClaimsPerFold {
		return nil, v, common.Hash{}, fmt.Errorf("fold leaf: %d claims, want 1 to %d", len(claims), protocol.ClaimsPerFold)
	}
	next := protocol.ChainStep(prev, claims)
	a := &FoldLeaf{N: len(claims), Raw: boolVar(raw)}
	copy(a.Prev[:], uints.NewU8Array(prev[:]))
	for j := range a.Claims {
		var h common.Hash
		if j < len(claims) {
			h = claims[j]
			v.Consumed[1+j] = ClaimFact(h)
		}
		copy(a.Claims[j][:], uints.NewU8Array(h[:]))
	}
	if prev != protocol.ChainGenesis {
		v.Consumed[0] = ChainFact(prev)
	}
	v.Produced = ChainFact(next)
	if raw {
		v.Produced.SetBigInt(facts.StatementOf(next))
	}
	v.Assign(&a.IO)
	return a, v, next, nil
}

// ReceiptLogLeaf is a receipt leaf as a leaf kind: ReceiptLeafCircuit's rules over one log of
// a receipts-trie leaf, which consume the path fact of the leaf's node (nothing at depth 0,
// where the leaf is the trie's root by hash; the branch and extension nodes above it are
// StepLeaf kinds) and produce the log fact.
type ReceiptLogLeaf struct {
	IO facts.IO

	Root, Node                                    [2]frontend.Variable
	Key, Emitter                                  frontend.Variable
	Topics                                        [protocol.MaxTopics][2]frontend.Variable
	DataHash                                      [2]frontend.Variable
	Depth, TxIndex, LogIndex, NumTopics, DataFits frontend.Variable

	Bytes  []uints.U8
	Length frontend.Variable

	maxData int
}

// NewReceiptLogLeaf is the placeholder of a receipt log leaf kind whose node holds up to
// nodeLen bytes and whose log's data holds up to maxData bytes.
func NewReceiptLogLeaf(nodeLen, maxData int) *ReceiptLogLeaf {
	return &ReceiptLogLeaf{Bytes: make([]uints.U8, nodeLen), maxData: maxData}
}

// Define implements frontend.Circuit.
func (c *ReceiptLogLeaf) Define(api frontend.API) error {
	if c.maxData < 1 || len(c.Bytes) < 32 {
		return fmt.Errorf("receipt log leaf: compile the placeholder of NewReceiptLogLeaf")
	}
	rc := rangecheck.New(api)
	rc.Check(c.Depth, 8)
	rc.Check(c.TxIndex, 16)
	rc.Check(c.LogIndex, 8)
	if err := receiptRules(api, &receiptValues{Node: c.Node, Key: c.Key, Emitter: c.Emitter, Topics: c.Topics, DataHash: c.DataHash,
		Depth: c.Depth, TxIndex: c.TxIndex, LogIndex: c.LogIndex, NumTopics: c.NumTopics, DataFits: c.DataFits,
		Bytes: c.Bytes, Length: c.Length, maxData: c.maxData}); err != nil {
		return err
	}
	consumeReceiptNode(api, c.IO.Consumed[0], c.Root, c.Key, c.Depth, c.Node)
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, logDigest(api, c.Root, c.TxIndex, c.LogIndex, c.Emitter, c.Topics, c.NumTopics, c.DataFits, c.DataHash))
	return nil
}

// consumeReceiptNode asserts that consumed is the path fact of the receipts-trie node of hash
// node at depth under root, or nothing at depth 0, where the node is the root. The node is
// referenced by its hash (a receipt is never embedded): the path fact's embedded flag is 0, in
// no account trie, for the key's high half (the low one is zero).
func consumeReceiptNode(api frontend.API, consumed frontend.Variable, root [2]frontend.Variable, key, depth frontend.Variable, node [2]frontend.Variable) {
	first := api.IsZero(depth)
	for h := range node {
		api.AssertIsEqual(api.Mul(first, api.Sub(node[h], root[h])), 0)
	}
	path := digest(api, tagPath, root[0], root[1], key, 0, 0, depth, node[0], node[1], 0)
	api.AssertIsEqual(consumed, api.Select(first, 0, path))
}

// AssignReceiptLogLeaf builds a receipt log leaf kind's witness for log logIndex of
// transaction txIndex, from a native walk of the receipts trie of root (as AssignReceiptLeaf),
// and its facts.
func AssignReceiptLogLeaf(root common.Hash, txIndex int, steps []mpt.Step, logIndex, nodeLen, maxData int) (*ReceiptLogLeaf, *ReceiptLeafPublic, facts.Values, error) {
	var v facts.Values
	r, pub, err := AssignReceiptLeaf(txIndex, steps, logIndex, nodeLen, maxData)
	if err != nil {
		return nil, nil, v, err
	}
	if pub.Depth == 0 && pub.Node != root {
		return nil, nil, v, fmt.Errorf("receipt log leaf: %w: the leaf at depth 0 is %s, not the root %s", mpt.ErrProof, pub.Node, root)
	}
	a := &ReceiptLogLeaf{Root: halves(root), Node: r.Node, Key: r.Key, Emitter: r.Emitter, Topics: r.Topics, DataHash: r.DataHash,
		Depth: r.Depth, TxIndex: r.TxIndex, LogIndex: r.LogIndex, NumTopics: r.NumTopics, DataFits: r.DataFits,
		Bytes: r.Bytes, Length: r.Length, maxData: maxData}
	if pub.Depth > 0 {
		v.Consumed[0] = PathFact(root, pub.Key, false, pub.Depth, pub.Node, false)
	}
	v.Produced = LogFact(root, pub)
	v.Assign(&a.IO)
	return a, pub, v, nil
}

// ReceiptClaimLeaf is a claim proven by receipt (a lane by receipt or an event) as a leaf
// kind: the claim's encoding and the log it names (receiptClaim). It consumes the header fact of the
// claim's block and the log fact of the log that proves it under the block's receiptsRoot (a
// lane's: the Outbox's MessageSent(dst, count − 1, acc), anywhere in the block; an event's:
// the claim's transaction, log index and data, which must fit the receipt leaf's bound), and
// produces the claim fact.
type ReceiptClaimLeaf struct {
	IO facts.IO

	SrcDomain, Committee, BlockNumber, Emitter, Log frontend.Variable
	BlockHash, DataHash, StateRoot, ReceiptsRoot    [2]frontend.Variable
	Topics                                          [protocol.MaxTopics][2]frontend.Variable
	// The log the receipt leaf read: its transaction, index, whether its data fit and the
	// data's hash (an event's are the claim's; a lane's are free).
	LogTx, LogIndex, LogFits frontend.Variable
	LogData                  [2]frontend.Variable

	Encoded [protocol.EventClaimSize]uints.U8
}

// Define implements frontend.Circuit.
func (c *ReceiptClaimLeaf) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("receipt claim leaf: %w", err)
	}
	pub := &ReceiptClaimPublic{SrcDomain: c.SrcDomain, Committee: c.Committee, BlockNumber: c.BlockNumber, BlockHash: c.BlockHash,
		Emitter: c.Emitter, Topics: c.Topics, Log: c.Log, DataHash: c.DataHash}
	claimHash, used, err := receiptClaim(api, bf, c.Encoded[:], pub, func(in []uints.U8, length frontend.Variable) ([]uints.U8, error) {
		h, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(protocol.LaneClaimSize))
		if err != nil {
			return nil, fmt.Errorf("receipt claim leaf: keccak: %w", err)
		}
		h.Write(in)
		return h.FixedLengthSum(length), nil
	})
	if err != nil {
		return err
	}
	api.AssertIsEqual(used, 1)
	// The claim's packed log: its kind, topic count, and an event's transaction and index.
	bits := api.ToBinary(c.Log, ReceiptLogBits)
	kind, numTopics := api.FromBinary(bits[0:logTopics]...), api.FromBinary(bits[logTopics:logTx]...)
	tx, index := api.FromBinary(bits[logTx:logIndex]...), api.FromBinary(bits[logIndex:ReceiptLogBits]...)
	isEvent := api.IsZero(api.Sub(kind, uint8(protocol.KindEvent)))
	when := func(a, b frontend.Variable) { api.AssertIsEqual(api.Mul(isEvent, api.Sub(a, b)), 0) }
	when(c.LogTx, tx)
	when(c.LogIndex, index)
	when(c.LogFits, 1)
	when(c.LogData[0], c.DataHash[0])
	when(c.LogData[1], c.DataHash[1])

	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagHeader, c.SrcDomain, c.Committee, c.BlockNumber, c.BlockHash[0], c.BlockHash[1],
		c.StateRoot[0], c.StateRoot[1], c.ReceiptsRoot[0], c.ReceiptsRoot[1]))
	api.AssertIsEqual(c.IO.Consumed[1], logDigest(api, c.ReceiptsRoot, c.LogTx, c.LogIndex, c.Emitter, c.Topics, numTopics, c.LogFits, c.LogData))
	assertConsumesNothing(api, &c.IO, 2)
	h := mpt.Ref(api, byteValues(bf, claimHash))
	api.AssertIsEqual(c.IO.Produced, digest(api, tagClaim, h[0], h[1]))
	return nil
}

// AssignReceiptClaimLeaf builds a receipt claim leaf kind's witness for a lane by receipt or
// an event claim (c, of protocol.KindLaneReceipt, or e), proven by the log a receipt log leaf
// read (l) in the block of the header leaf hdr, and its facts. It refuses a log that is not
// the claim's (MatchReceipt).
func AssignReceiptClaimLeaf(c *protocol.LaneClaim, e *protocol.EventClaim, hdr *HeaderPublic, l *ReceiptLeafPublic) (*ReceiptClaimLeaf, facts.Values, error) {
	var v facts.Values
	var stmt protocol.Statement
	var enc []byte
	var log ReceiptLog
	switch {
	case c != nil && e == nil && c.Kind == protocol.KindLaneReceipt:
		if c.Count == 0 {
			return nil, v, fmt.Errorf("receipt claim leaf: a lane by receipt of count 0 (no message, no log)")
		}
		stmt.Lanes = []protocol.LaneClaim{*c}
		enc, log = c.Encode(), LogOfLane(*c)
	case c == nil && e != nil:
		stmt.Events = []protocol.EventClaim{*e}
		enc, log = e.Encode(), LogOfEvent(*e)
	default:
		return nil, v, fmt.Errorf("receipt claim leaf: one lane by receipt or one event claim")
	}
	if err := stmt.Validate(); err != nil {
		return nil, v, fmt.Errorf("receipt claim leaf: %w", err)
	}
	if err := MatchReceipt(log, hdr, l); err != nil {
		return nil, v, fmt.Errorf("receipt claim leaf: %w", err)
	}
	p, encoded := assignReceiptClaim(enc, log)
	a := &ReceiptClaimLeaf{SrcDomain: p.SrcDomain, Committee: p.Committee, BlockNumber: p.BlockNumber, Emitter: p.Emitter, Log: p.Log,
		BlockHash: p.BlockHash, DataHash: p.DataHash, StateRoot: halves(hdr.StateRoot), ReceiptsRoot: halves(hdr.ReceiptsRoot), Topics: p.Topics,
		LogTx: l.TxIndex, LogIndex: l.LogIndex, LogFits: boolVar(l.DataFits), LogData: halves(l.DataHash), Encoded: encoded}
	v.Consumed[0], v.Consumed[1] = HeaderFact(hdr), LogFact(hdr.ReceiptsRoot, l)
	claims := stmt.Claims()
	v.Produced = ClaimFact(common.BytesToHash(crypto.Keccak256(claims[0])))
	v.Assign(&a.IO)
	return a, v, nil
}
