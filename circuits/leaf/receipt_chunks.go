package leaf

import (
	"encoding"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/permutation/keccakf"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/consensys/gnark/std/selector"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/sha3"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/receipt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Receipts of any size, proven in pieces. A receipt log leaf (ReceiptLogLeaf) reads a
// receipts-trie leaf of at most ReceiptNodeLen bytes in one proof; a larger one is proven by
// three kinds of leaf whose facts chain:
//
//	chunk(state)        ReceiptChunkLeaf: the node's bytes [Off, Off+ChunkLen) absorbed into
//	                    its keccak sponge, every log that starts there checked (the chunk reads
//	                    ChunkOverlap bytes past its end, which the next chunk holds first), the
//	                    log read if it is the one proven, and the data windows that start there
//	                    folded in; it consumes the previous chunk's fact (none at Off 0) and the
//	                    data steps it folds
//	data(window, ...)   ReceiptDataLeaf: one DataWindow of the log's data absorbed into the
//	                    data's keccak sponge (a pure function: any chunk may consume it)
//	log(...)            ReceiptTailLeaf: after the last chunk, the node's prefix (its leaf path
//	                    for the transaction's key, the receipt's type, status, gas and bloom, up
//	                    to the logs) checked against what the first chunk saw; it consumes the
//	                    last chunk's fact and the path fact of the node, and produces the log
//	                    fact a receipt log leaf produces, its data hashed whatever its length
//
// A chunk's state is one fact (ChunkState): sponge states are carried as Poseidon2 digests of
// their 200 bytes, so a chunk's public inputs stay the leaf layout's five. Every chunk runs the
// same circuit; the first one (Off 0) starts from the empty sponge and no log.
//
// Bounds: a node of at most MaxChunkedNode bytes (the RLP decoder's two length bytes), every
// log of it checked whatever their number; a log's data of any length within the node. What
// bounds a receipt in practice is a batch's slots: ChunksOf and DataWindowsOf say how many
// leaves a receipt takes.
const (
	keccakRate = 136

	// ChunkLen is how many bytes of the node a chunk absorbs (7 keccak blocks: the most that
	// keep the chunk under 2^20 constraints).
	ChunkLen = 7 * keccakRate
	// DataWindow is how many bytes of a log's data a data leaf absorbs (3 keccak blocks).
	DataWindow = 3 * keccakRate
	// ChunkOverlap is how far past its end a chunk reads: the headers of a log that starts in
	// the chunk (at most 164 bytes) and a data window that starts in it.
	ChunkOverlap = DataWindow
	// ReceiptPrefixLen bytes of the node hold its leaf path and the receipt's fields up to the
	// logs' list header (at most 319 bytes: node and value headers, a 4-byte path, the type,
	// a 32-byte status, 8-byte gas, the 256-byte bloom).
	ReceiptPrefixLen = 320
	// MaxChunkedNode is the largest receipt leaf the chunked leaves read.
	MaxChunkedNode = 65535

	// minLogLen is the shortest log's encoding (a list of a 20-byte emitter, no topic, no
	// data), so at most ChunkLogs logs start in one chunk.
	minLogLen = 24
	ChunkLogs = (ChunkLen + minLogLen - 1) / minLogLen
	// dataSteps is how many data windows one chunk folds: at most that many start in it.
	dataSteps = (ChunkLen + DataWindow - 1) / DataWindow
)

// The names of the chunked receipt kinds in the key store and the allow-list.
const (
	KindReceiptChunk = "universal-receipt-chunk"
	KindReceiptData  = "universal-receipt-data"
	KindReceiptTail  = "universal-receipt-tail"
)

var (
	tagChunk    = facts.Tag("isthmus.fact.receipt-chunk.v1")
	tagDataStep = facts.Tag("isthmus.fact.receipt-data.v1")
	tagBytes    = facts.Tag("isthmus.bytes.v1") // packDigest's
)

// ChunksOf is how many chunk leaves a receipt leaf of n bytes takes (the last one holds the
// keccak padding, so n = k·ChunkLen takes k+1).
func ChunksOf(n int) int { return n/ChunkLen + 1 }

// DataWindowsOf is how many data leaves a log's data of n bytes takes (the last one holds the
// padding).
func DataWindowsOf(n int) int { return n/DataWindow + 1 }

// ChunkState is the state a chunk hands to the next one, natively: its fact is ChunkFact.
type ChunkState struct {
	Off      int        // bytes of the node absorbed
	Sponge   fr.Element // digest of the node's keccak state (0 once Done)
	Done     bool       // the node is absorbed and padded: NodeHash is its keccak256
	NodeHash common.Hash

	Length, LogIndex int  // the node's length, the log proven
	DataFits         bool // the log's data is hashed (an event's); a lane by receipt reads none
	LogsStart        int  // where the receipt's first log starts (checked by the tail)
	Cursor, Logs     int  // where the next log starts, how many started before it

	// The log proven, once Logs > LogIndex.
	Emitter            common.Address
	Topics             [protocol.MaxTopics]common.Hash
	NumTopics          int
	DataStart, DataLen int
	Data               fr.Element // digest of the data's keccak state (0 once hashed)
	Windows            int        // data windows absorbed
	DataHash           common.Hash
	Prefix, Overlap    fr.Element // digests of the node's first ReceiptPrefixLen bytes and of the bytes past the chunk
}

// receiptLogSpan is where a log lies in the node.
type receiptLogSpan struct{ start, end int }

func (s *ChunkState) values() []fr.Element {
	n, d := frHalves(s.NodeHash), frHalves(s.DataHash)
	var emitter fr.Element
	emitter.SetBytes(s.Emitter[:])
	out := []fr.Element{frUint(uint64(s.Off)), s.Sponge, frBool(s.Done), n[0], n[1], frUint(uint64(s.Length)), frUint(uint64(s.LogIndex)),
		frBool(s.DataFits), frUint(uint64(s.LogsStart)), frUint(uint64(s.Cursor)), frUint(uint64(s.Logs)), emitter}
	for _, t := range s.Topics {
		h := frHalves(t)
		out = append(out, h[0], h[1])
	}
	return append(out, frUint(uint64(s.NumTopics)), frUint(uint64(s.DataStart)), frUint(uint64(s.DataLen)), s.Data,
		frUint(uint64(s.Windows)), d[0], d[1], s.Prefix, s.Overlap)
}

// ChunkFact is the chunk fact of a state natively.
func ChunkFact(s *ChunkState) fr.Element { return facts.DigestOf(tagChunk, s.values()...) }

// DataStepFact is the data fact natively: the window of digest window, of which n bytes are
// the data's (final: the last window, padded), took the data's sponge from digest in to digest
// out (0 when final), and, when final, to the data's keccak256 hash.
func DataStepFact(window fr.Element, n int, final bool, in, out fr.Element, hash common.Hash) fr.Element {
	h := frHalves(hash)
	return facts.DigestOf(tagDataStep, window, frUint(uint64(n)), frBool(final), in, out, h[0], h[1])
}

// chunkVars is a ChunkState in-circuit, in the order of ChunkState.values.
type chunkVars struct {
	Off, Sponge, Done                   frontend.Variable
	NodeHash                            [2]frontend.Variable
	Length, LogIndex, DataFits          frontend.Variable
	LogsStart, Cursor, Logs             frontend.Variable
	Emitter                             frontend.Variable
	Topics                              [protocol.MaxTopics][2]frontend.Variable
	NumTopics, DataStart, DataLen, Data frontend.Variable
	Windows                             frontend.Variable
	DataHash                            [2]frontend.Variable
	Prefix, Overlap                     frontend.Variable
}

func (v *chunkVars) values() []frontend.Variable {
	out := []frontend.Variable{v.Off, v.Sponge, v.Done, v.NodeHash[0], v.NodeHash[1], v.Length, v.LogIndex, v.DataFits, v.LogsStart, v.Cursor, v.Logs, v.Emitter}
	for _, t := range v.Topics {
		out = append(out, t[0], t[1])
	}
	return append(out, v.NumTopics, v.DataStart, v.DataLen, v.Data, v.Windows, v.DataHash[0], v.DataHash[1], v.Prefix, v.Overlap)
}

func (s *ChunkState) assign() chunkVars {
	v := chunkVars{Off: s.Off, Sponge: s.Sponge.BigInt(new(big.Int)), Done: boolVar(s.Done), NodeHash: halves(s.NodeHash),
		Length: s.Length, LogIndex: s.LogIndex, DataFits: boolVar(s.DataFits), LogsStart: s.LogsStart, Cursor: s.Cursor, Logs: s.Logs,
		Emitter: new(big.Int).SetBytes(s.Emitter[:]), NumTopics: s.NumTopics, DataStart: s.DataStart, DataLen: s.DataLen,
		Data: s.Data.BigInt(new(big.Int)), Windows: s.Windows, DataHash: halves(s.DataHash),
		Prefix: s.Prefix.BigInt(new(big.Int)), Overlap: s.Overlap.BigInt(new(big.Int))}
	for i, t := range s.Topics {
		v.Topics[i] = halves(t)
	}
	return v
}

// packDigestNative is packDigest's native twin: Poseidon2 over the bytes in big-endian
// groups of 31 (the last one shorter).
func packDigestNative(b []byte) fr.Element {
	var elems []fr.Element
	for i := 0; i < len(b); i += 31 {
		var e fr.Element
		e.SetBytes(b[i:min(i+31, len(b))])
		elems = append(elems, e)
	}
	return facts.DigestOf(tagBytes, elems...)
}

// packDigest is the Poseidon2 digest of bytes (each already constrained to a byte) in
// big-endian groups of 31.
func packDigest(api frontend.API, b []frontend.Variable) frontend.Variable {
	var elems []frontend.Variable
	for i := 0; i < len(b); i += 31 {
		var e frontend.Variable = 0
		for _, x := range b[i:min(i+31, len(b))] {
			e = api.Add(api.Mul(e, 256), x)
		}
		elems = append(elems, e)
	}
	return digest(api, tagBytes, elems...)
}

// emptySponge is the digest of the empty keccak state.
var emptySponge = packDigestNative(make([]byte, 200))

// spongeState is the keccak256 state after absorbing data, a whole number of blocks: the 200
// bytes of its 25 lanes, little-endian, as golang.org/x/crypto/sha3 keeps them.
func spongeState(data []byte) ([200]byte, error) {
	var st [200]byte
	if len(data)%keccakRate != 0 {
		return st, fmt.Errorf("sponge state after %d bytes: not a whole number of blocks", len(data))
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(data)
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return st, errors.New("sponge state: the keccak state does not marshal")
	}
	b, err := m.MarshalBinary()
	// magic (4) || rate || state (200) || buffered bytes || direction
	if err != nil || len(b) != 4+1+200+2 || b[4] != keccakRate || b[205] != 0 {
		return st, fmt.Errorf("sponge state: unexpected marshaled keccak state (%d bytes, %v)", len(b), err)
	}
	copy(st[:], b[5:205])
	return st, nil
}

// spongeDigest is the digest of the keccak state after data.
func spongeDigest(data []byte) (fr.Element, [200]byte, error) {
	st, err := spongeState(data)
	if err != nil {
		return fr.Element{}, st, err
	}
	return packDigestNative(st[:]), st, nil
}

// absorbPadded absorbs in (values of bytes, a whole number of blocks) into the keccak state
// lanes (200 byte values): all of it where final is 0; where final is 1, its first relLen
// bytes then keccak256's padding, in the blocks up to the padding's (the rest are left out).
// relLen is in [0, len(in)], below len(in) where final is 1. It returns the values of the
// state's bytes.
func absorbPadded(api frontend.API, bf *uints.Bytes, uapi *uints.BinaryField[uints.U64], lanes []uints.U8, in []frontend.Variable, relLen, final frontend.Variable) []frontend.Variable {
	n := len(in)
	blocks := n / keccakRate
	at := selector.Decoder(api, n+1, relLen) // at[q] = 1 where q = relLen
	api.AssertIsEqual(api.Mul(final, at[n]), 0)
	padBlock := make([]frontend.Variable, blocks)
	for b := range padBlock {
		padBlock[b] = 0
		for q := b * keccakRate; q < (b+1)*keccakRate; q++ {
			padBlock[b] = api.Add(padBlock[b], at[q])
		}
	}
	padded := make([]uints.U8, n)
	var seen frontend.Variable = 0 // 1 from relLen on
	for q := range in {
		seen = api.Add(seen, at[q])
		v := api.Add(api.Mul(api.Sub(1, seen), in[q]), api.Mul(final, at[q])) // the byte before relLen, 0x01 at it
		if q%keccakRate == keccakRate-1 {
			v = api.Add(v, api.Mul(api.Mul(final, padBlock[q/keccakRate]), 0x80)) // 0x80 ends the padding's block
		}
		padded[q] = bf.ValueOf(v)
	}
	var st [25]uints.U64
	for i := range st {
		st[i] = uapi.PackLSB(lanes[8*i : 8*i+8]...)
	}
	// The state after the last block absorbed: the last one, or where final is 1 the
	// padding's. Every block is permuted; the result is picked once.
	out := make([]frontend.Variable, 200)
	for i := range out {
		out[i] = 0
	}
	for b := 0; b < blocks; b++ {
		for i := 0; i < keccakRate/8; i++ {
			st[i] = uapi.Xor(st[i], uapi.PackLSB(padded[b*keccakRate+8*i:b*keccakRate+8*i+8]...))
		}
		st = keccakf.Permute(uapi, st)
		last := api.Mul(final, padBlock[b])
		if b == blocks-1 {
			last = api.Add(last, api.Sub(1, final))
		}
		for i := range st {
			for k := range st[i] {
				out[8*i+k] = api.MulAcc(out[8*i+k], last, bf.Value(st[i][k]))
			}
		}
	}
	return out
}

// ReceiptChunkLeaf is one chunk of a receipt leaf proven in pieces (see ChunkLen): it takes
// the chunk state In (the first chunk's, at Off 0, is fixed but for the node's length, the
// log proven and where the logs start, which the tail checks), absorbs the node's bytes
// [Off, Off+ChunkLen) into the keccak state Lanes (padded, in the chunk holding the node's
// end), checks every log that starts there (reading up to ChunkOverlap bytes past the chunk),
// reads the log proven if it starts there, and folds the data steps of the log's data
// windows that start there. It consumes the previous chunk's fact (none at Off 0) and those
// data steps, and produces the next chunk fact.
type ReceiptChunkLeaf struct {
	IO facts.IO

	In    chunkVars
	Lanes [200]uints.U8                     // the node's keccak state In.Sponge digests (zero at Off 0)
	Bytes [ChunkLen + ChunkOverlap]uints.U8 // the node's bytes from Off, zero past its end
	Steps [dataSteps]dataStepVars           // the data steps the chunk may fold
}

// dataStepVars are what a data step hands the chunk that folds it: the data's sponge digest
// after it and, after the last window, the data's hash.
type dataStepVars struct {
	Out  frontend.Variable
	Hash [2]frontend.Variable
}

// Define implements frontend.Circuit.
func (c *ReceiptChunkLeaf) Define(api frontend.API) error {
	if facts.Consumed < 1+dataSteps {
		return fmt.Errorf("receipt chunk: %d data steps a chunk, %d consumed facts a leaf", dataSteps, facts.Consumed)
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("receipt chunk: %w", err)
	}
	uapi, err := uints.New[uints.U64](api)
	if err != nil {
		return fmt.Errorf("receipt chunk: %w", err)
	}
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<18), false)
	in := &c.In
	vals, err := rlp.Values(api, c.Bytes[:])
	if err != nil {
		return fmt.Errorf("receipt chunk: %w", err)
	}
	laneVals, err := rlp.Values(api, c.Lanes[:])
	if err != nil {
		return fmt.Errorf("receipt chunk: %w", err)
	}

	// The state in: the previous chunk's, or at Off 0 the start.
	first := api.IsZero(in.Off)
	api.AssertIsEqual(c.IO.Consumed[0], api.Select(first, 0, digest(api, tagChunk, in.values()...)))
	api.AssertIsEqual(in.Done, 0)
	api.AssertIsEqual(api.Mul(api.Sub(1, first), api.Sub(packDigest(api, laneVals), in.Sponge)), 0)
	var laneSum frontend.Variable = 0
	for _, v := range laneVals {
		laneSum = api.Add(laneSum, v)
	}
	startsAt := func(v, want frontend.Variable) { api.AssertIsEqual(api.Mul(first, api.Sub(v, want)), 0) }
	startsAt(laneSum, 0)
	startsAt(in.Cursor, in.LogsStart)
	startsAt(in.Data, emptySponge.BigInt(new(big.Int)))
	for _, v := range []frontend.Variable{in.Logs, in.Windows, in.Emitter, in.NumTopics, in.DataStart, in.DataLen,
		in.NodeHash[0], in.NodeHash[1], in.DataHash[0], in.DataHash[1], in.Prefix, in.Overlap} {
		startsAt(v, 0)
	}
	for _, t := range in.Topics {
		startsAt(t[0], 0)
		startsAt(t[1], 0)
	}
	api.AssertIsBoolean(in.DataFits)
	bound.AssertIsLessEq(in.Length, MaxChunkedNode)
	bound.AssertIsLessEq(in.Off, in.Length) // the previous chunk was not the last

	out := *in
	out.Off = api.Add(in.Off, ChunkLen)

	// The node's bytes into its sponge; in the chunk that holds its end, padded.
	final := bound.IsLess(in.Length, out.Off)
	relLen := api.Select(final, api.Sub(in.Length, in.Off), ChunkLen)
	laneOut := absorbPadded(api, bf, uapi, c.Lanes[:], vals[:ChunkLen], relLen, final)
	out.Sponge = api.Mul(api.Sub(1, final), packDigest(api, laneOut))
	out.Done = final
	h := mpt.Ref(api, laneOut[:32])
	out.NodeHash = [2]frontend.Variable{api.Mul(final, h[0]), api.Mul(final, h[1])}

	// The logs that start in the chunk (before the node's end), one after the other from the
	// cursor; the log proven if it is one of them.
	d := rlp.New(api, vals)
	limit := api.Add(in.Off, relLen)
	s := in.Cursor
	var started, found, selRel frontend.Variable = 0, 0, 0
	for i := 0; i < ChunkLogs; i++ {
		active := bound.IsLess(s, limit)
		rel := api.Mul(active, api.Sub(s, in.Off))
		f := receipt.CheckLog(api, d, bound, rel, active)
		sel := api.Mul(active, api.IsZero(api.Sub(api.Add(in.Logs, started), in.LogIndex)))
		found = api.Add(found, sel)
		selRel = api.MulAcc(selRel, sel, rel)
		s = api.Add(s, api.Mul(active, api.Sub(f.List.End, rel)))
		started = api.Add(started, active)
	}
	// Every log that starts in the chunk is checked: the next starts past it or, in the last
	// chunk, the logs end with the node.
	api.AssertIsEqual(api.Mul(final, api.Sub(s, in.Length)), 0)
	notFinal := api.Sub(1, final)
	bound.AssertIsLessEq(api.Mul(notFinal, out.Off), api.Mul(notFinal, s))
	out.Cursor, out.Logs = s, api.Add(in.Logs, started)

	sel := receipt.CheckLog(api, d, bound, selRel, found)
	var emitter frontend.Variable = 0
	for _, b := range d.Bytes(sel.Emitter.PayloadOffset, 20) {
		emitter = api.Add(api.Mul(emitter, 256), b)
	}
	out.Emitter = api.Select(found, emitter, in.Emitter)
	for k, tp := range sel.Topics {
		inT := api.Mul(found, bound.IsLess(k, sel.NumTopics))
		b := d.Bytes(api.Mul(inT, tp.PayloadOffset), 32)
		for j := range b {
			b[j] = api.Mul(inT, b[j])
		}
		t := mpt.Ref(api, b)
		out.Topics[k] = [2]frontend.Variable{api.Select(found, t[0], in.Topics[k][0]), api.Select(found, t[1], in.Topics[k][1])}
	}
	out.NumTopics = api.Select(found, sel.NumTopics, in.NumTopics)
	out.DataStart = api.Select(found, api.Add(in.Off, sel.Data.PayloadOffset), in.DataStart)
	out.DataLen = api.Select(found, sel.Data.PayloadLen, in.DataLen)

	// The data windows of the log proven that start in the chunk: window k holds the data's
	// bytes [k·DataWindow, (k+1)·DataWindow), the last one (the first whose end passes the
	// data's) padded. Each is a data step the chunk consumes, in order.
	known := api.Mul(in.DataFits, bound.IsLess(in.LogIndex, out.Logs))
	for w := 0; w < dataSteps; w++ {
		at := api.Mul(out.Windows, DataWindow)
		p := api.Add(out.DataStart, at)
		active := api.Mul(known, api.Mul(bound.IsLessEq(at, out.DataLen), bound.IsLess(p, out.Off)))
		window := d.Bytes(api.Mul(active, api.Sub(p, in.Off)), DataWindow)
		left := api.Sub(out.DataLen, at)
		last := bound.IsLess(left, DataWindow)
		n := api.Select(last, left, DataWindow)
		step := digest(api, tagDataStep, packDigest(api, window), n, last, out.Data, c.Steps[w].Out, c.Steps[w].Hash[0], c.Steps[w].Hash[1])
		api.AssertIsEqual(c.IO.Consumed[1+w], api.Mul(active, step))
		out.Data = api.Select(active, c.Steps[w].Out, out.Data)
		for j := range out.DataHash {
			out.DataHash[j] = api.Select(api.Mul(active, last), c.Steps[w].Hash[j], out.DataHash[j])
		}
		out.Windows = api.Add(out.Windows, active)
	}
	at := api.Mul(out.Windows, DataWindow)
	api.AssertIsEqual(api.Mul(known, api.Mul(bound.IsLessEq(at, out.DataLen), bound.IsLess(api.Add(out.DataStart, at), out.Off))), 0)
	assertConsumesNothing(api, &c.IO, 1+dataSteps)

	// The node's prefix (for the tail) and the bytes past the chunk (for the next one).
	out.Prefix = api.Select(first, packDigest(api, vals[:ReceiptPrefixLen]), in.Prefix)
	api.AssertIsEqual(api.Mul(api.Sub(1, first), api.Sub(packDigest(api, vals[:ChunkOverlap]), in.Overlap)), 0)
	out.Overlap = packDigest(api, vals[ChunkLen:])

	api.AssertIsEqual(c.IO.Produced, digest(api, tagChunk, out.values()...))
	return nil
}

// ReceiptDataLeaf absorbs one window of a log's data into the data's keccak state Lanes: all
// DataWindow bytes, or where Final is 1 its first N (< DataWindow) and the padding. It consumes
// nothing and produces the data fact (DataStepFact) of the window's digest: a chunk that holds
// the window's bytes consumes it.
type ReceiptDataLeaf struct {
	IO facts.IO

	Lanes    [200]uints.U8
	Window   [DataWindow]uints.U8
	N, Final frontend.Variable
}

// Define implements frontend.Circuit.
func (c *ReceiptDataLeaf) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("receipt data: %w", err)
	}
	uapi, err := uints.New[uints.U64](api)
	if err != nil {
		return fmt.Errorf("receipt data: %w", err)
	}
	api.AssertIsBoolean(c.Final)
	rangecheck.New(api).Check(c.N, 10)
	api.AssertIsEqual(api.Mul(api.Sub(1, c.Final), api.Sub(c.N, DataWindow)), 0)
	laneVals, err := rlp.Values(api, c.Lanes[:])
	if err != nil {
		return fmt.Errorf("receipt data: %w", err)
	}
	window, err := rlp.Values(api, c.Window[:])
	if err != nil {
		return fmt.Errorf("receipt data: %w", err)
	}
	laneOut := absorbPadded(api, bf, uapi, c.Lanes[:], window, c.N, c.Final)
	out := api.Mul(api.Sub(1, c.Final), packDigest(api, laneOut))
	h := mpt.Ref(api, laneOut[:32])
	assertConsumesNothing(api, &c.IO, 0)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagDataStep, packDigest(api, window), c.N, c.Final, packDigest(api, laneVals), out,
		api.Mul(c.Final, h[0]), api.Mul(c.Final, h[1])))
	return nil
}

// ReceiptTailLeaf ends a receipt proven in pieces: it consumes the last chunk's fact (State:
// the node absorbed, every log checked to its end, the log proven found and its data hashed)
// and the path fact of the node (nothing at depth 0, where the node is the root), checks the
// node's first ReceiptPrefixLen bytes (Prefix, as the first chunk saw them): a leaf whose path
// completes rlp(TxIndex) from Depth, holding a receipt whose type, status, gas and bloom
// are go-ethereum's and whose logs start where the chunks began them; and produces the log
// fact.
type ReceiptTailLeaf struct {
	IO facts.IO

	State               chunkVars
	Root                [2]frontend.Variable
	Key, Depth, TxIndex frontend.Variable
	Prefix              [ReceiptPrefixLen]uints.U8
}

// Define implements frontend.Circuit.
func (c *ReceiptTailLeaf) Define(api frontend.API) error {
	rc := rangecheck.New(api)
	rc.Check(c.Depth, 8)
	rc.Check(c.TxIndex, 16)
	rc.Check(c.State.LogIndex, 16)
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<18), false)
	s := &c.State
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagChunk, s.values()...))
	api.AssertIsEqual(s.Done, 1)
	api.AssertIsEqual(s.Cursor, s.Length)
	bound.AssertIsLess(s.LogIndex, s.Logs)
	api.AssertIsBoolean(s.DataFits)
	// Every window of the data, the padded one too, where it is hashed.
	api.AssertIsEqual(api.Mul(s.DataFits, api.Sub(1, bound.IsLess(s.DataLen, api.Mul(s.Windows, DataWindow)))), 0)

	vals, err := rlp.Values(api, c.Prefix[:])
	if err != nil {
		return fmt.Errorf("receipt tail: %w", err)
	}
	api.AssertIsEqual(packDigest(api, vals), s.Prefix)
	d := rlp.New(api, vals)
	key, keyLen := receiptKey(api, c.TxIndex, c.Key)
	value, err := mpt.LeafPath(api, d, s.Length, key, keyLen, c.Depth)
	if err != nil {
		return fmt.Errorf("receipt tail: %w", err)
	}
	logs := receipt.Fields(api, d, value.PayloadOffset, s.Length)
	api.AssertIsEqual(logs.PayloadOffset, s.LogsStart)
	bound.AssertIsLessEq(s.LogsStart, ReceiptPrefixLen)

	consumeReceiptNode(api, c.IO.Consumed[1], c.Root, c.Key, c.Depth, s.NodeHash)
	assertConsumesNothing(api, &c.IO, 2)
	empty := frHalves(crypto.Keccak256Hash(nil))
	dataHash := [2]frontend.Variable{api.Select(s.DataFits, s.DataHash[0], empty[0].BigInt(new(big.Int))),
		api.Select(s.DataFits, s.DataHash[1], empty[1].BigInt(new(big.Int)))}
	api.AssertIsEqual(c.IO.Produced, logDigest(api, c.Root, c.TxIndex, s.LogIndex, s.Emitter, s.Topics, s.NumTopics, s.DataFits, dataHash))
	return nil
}

// ChunkedReceipt is one log of a receipt leaf proven in pieces, in the order an aggregation
// takes them: for each chunk, the data leaves it consumes then the chunk; then the tail.
type ChunkedReceipt struct {
	Chunks     []*ReceiptChunkLeaf
	ChunkFacts []facts.Values
	States     []ChunkState // the state each chunk hands on
	// Data[j] are the data leaves chunk j consumes, in order.
	Data      [][]*ReceiptDataLeaf
	DataFacts [][]facts.Values
	Tail      *ReceiptTailLeaf
	TailFacts facts.Values
	Public    *ReceiptLeafPublic // what the tail's log fact states (its data always hashed)
}

// Leaves is how many leaf proofs the receipt takes.
func (r *ChunkedReceipt) Leaves() int {
	n := len(r.Chunks) + 1
	for _, d := range r.Data {
		n += len(d)
	}
	return n
}

// AssignReceiptChunks builds the leaves that prove log logIndex of transaction txIndex's
// receipt in pieces, from a native walk of the receipts trie of root whose last step is the
// receipt's leaf (the inner nodes are StepLeaf kinds, as for a receipt log leaf), and their
// facts. It checks the receipt as go-ethereum decodes it, with no bound on its logs.
func AssignReceiptChunks(root common.Hash, txIndex int, steps []mpt.Step, logIndex int, withData bool) (*ChunkedReceipt, error) {
	if len(steps) == 0 || steps[len(steps)-1].Kind != mpt.Leaf {
		return nil, fmt.Errorf("receipt chunks: %w: the walk does not end at a leaf", mpt.ErrProof)
	}
	if txIndex < 0 || txIndex >= 1<<16 || logIndex < 0 || logIndex >= 1<<16 {
		return nil, fmt.Errorf("receipt chunks: transaction %d, log %d out of range", txIndex, logIndex)
	}
	leafStep := steps[len(steps)-1]
	node := leafStep.Node
	if len(node) > MaxChunkedNode {
		return nil, fmt.Errorf("receipt chunks: %w: a %d-byte leaf, the chunks read at most %d", ErrReceiptTooLarge, len(node), MaxChunkedNode)
	}
	if leafStep.Depth == 0 && leafStep.Hash != root {
		return nil, fmt.Errorf("receipt chunks: %w: the leaf at depth 0 is %s, not the root %s", mpt.ErrProof, leafStep.Hash, root)
	}
	_, items, err := rlp.DecodeList(node, 0)
	if err != nil || len(items) != 2 || items[1].IsList {
		return nil, fmt.Errorf("receipt chunks: %w: not a leaf node (%v)", mpt.ErrProof, err)
	}
	vOff := items[1].PayloadOffset
	value := node[vOff:items[1].End]
	logs, logItems, err := receipt.DecodeLogsNative(value)
	if err != nil {
		return nil, fmt.Errorf("receipt chunks: %w", err)
	}
	if logIndex >= len(logs) {
		return nil, fmt.Errorf("receipt chunks: %w: log %d of %d", receipt.ErrReceipt, logIndex, len(logs))
	}
	off := 0
	if value[0] < 0x80 {
		off = 1
	}
	_, fields, err := rlp.DecodeList(value, off)
	if err != nil || len(fields) != 4 {
		return nil, fmt.Errorf("receipt chunks: %w: %v", receipt.ErrReceipt, err)
	}
	logsStart := vOff + fields[3].PayloadOffset
	if logsStart > ReceiptPrefixLen {
		return nil, fmt.Errorf("receipt chunks: %w: the logs start at byte %d, past the prefix's %d", receipt.ErrReceipt, logsStart, ReceiptPrefixLen)
	}
	spans := make([]receiptLogSpan, len(logItems))
	for i, it := range logItems {
		spans[i] = receiptLogSpan{vOff + it.Offset, vOff + it.End}
	}
	_, lf, err := rlp.DecodeList(value[:logItems[logIndex].End], logItems[logIndex].Offset)
	if err != nil || len(lf) != 3 {
		return nil, fmt.Errorf("receipt chunks: %w: log %d (%v)", receipt.ErrReceipt, logIndex, err)
	}
	lg := logs[logIndex]
	dataStart := vOff + lf[2].PayloadOffset
	key, _, err := ReceiptKey(uint64(txIndex))
	if err != nil {
		return nil, err
	}
	pub := &ReceiptLeafPublic{Node: leafStep.Hash, Key: key, Depth: leafStep.Depth, TxIndex: txIndex, LogIndex: logIndex,
		Emitter: lg.Address, Topics: lg.Topics, DataFits: withData, DataHash: crypto.Keccak256Hash(nil)}
	if withData {
		pub.DataHash = crypto.Keccak256Hash(lg.Data)
	}

	n := len(node)
	chunks := ChunksOf(n)
	bytes := make([]byte, chunks*ChunkLen+ChunkOverlap)
	copy(bytes, node)
	r := &ChunkedReceipt{Public: pub}
	st := ChunkState{Length: n, LogIndex: logIndex, DataFits: withData, LogsStart: logsStart, Cursor: logsStart, Data: emptySponge}
	next := 0 // the next log to start
	for j := 0; j < chunks; j++ {
		in := st
		off := j * ChunkLen
		a := &ReceiptChunkLeaf{In: in.assign()}
		_, lanes, err := spongeDigest(node[:off])
		if err != nil {
			return nil, err
		}
		copy(a.Lanes[:], uints.NewU8Array(lanes[:]))
		copy(a.Bytes[:], uints.NewU8Array(bytes[off:off+ChunkLen+ChunkOverlap]))
		var v facts.Values
		if j > 0 {
			v.Consumed[0] = ChunkFact(&in)
		}
		end := min(off+ChunkLen, n)
		started := 0
		for next < len(spans) && spans[next].start < end {
			if next == logIndex {
				st.Emitter, st.NumTopics, st.DataStart, st.DataLen = lg.Address, len(lg.Topics), dataStart, len(lg.Data)
				copy(st.Topics[:], lg.Topics)
			}
			st.Cursor = spans[next].end
			st.Logs++
			next++
			started++
		}
		if started > ChunkLogs {
			return nil, fmt.Errorf("receipt chunks: %d logs start in chunk %d, a chunk checks %d", started, j, ChunkLogs)
		}
		var stepData []*ReceiptDataLeaf
		var stepFacts []facts.Values
		for withData && st.Logs > logIndex && st.Windows*DataWindow <= st.DataLen && st.DataStart+st.Windows*DataWindow < off+ChunkLen {
			w := len(stepData)
			if w == dataSteps {
				return nil, fmt.Errorf("receipt chunks: more than %d data windows start in chunk %d", dataSteps, j)
			}
			k := st.Windows
			dl, dv, out, hash, err := assignDataStep(lg.Data, k, bytes[st.DataStart+k*DataWindow:], st.Data)
			if err != nil {
				return nil, err
			}
			stepData, stepFacts = append(stepData, dl), append(stepFacts, dv)
			a.Steps[w] = dataStepVars{Out: out.BigInt(new(big.Int)), Hash: halves(hash)}
			v.Consumed[1+w] = dv.Produced
			st.Data, st.Windows = out, k+1
			if k == DataWindowsOf(st.DataLen)-1 {
				st.DataHash = hash
			}
		}
		for w := len(stepData); w < dataSteps; w++ {
			a.Steps[w] = dataStepVars{Out: 0, Hash: [2]frontend.Variable{0, 0}}
		}
		if j == 0 {
			st.Prefix = packDigestNative(bytes[:ReceiptPrefixLen])
		}
		st.Overlap = packDigestNative(bytes[off+ChunkLen : off+ChunkLen+ChunkOverlap])
		st.Off = off + ChunkLen
		if j == chunks-1 {
			st.Done, st.NodeHash, st.Sponge = true, crypto.Keccak256Hash(node), fr.Element{}
			if st.NodeHash != leafStep.Hash {
				return nil, fmt.Errorf("receipt chunks: %w: the leaf hashes to %s, the walk names %s", mpt.ErrProof, st.NodeHash, leafStep.Hash)
			}
		} else if st.Sponge, _, err = spongeDigest(node[:off+ChunkLen]); err != nil {
			return nil, err
		}
		v.Produced = ChunkFact(&st)
		v.Assign(&a.IO)
		r.Chunks, r.ChunkFacts, r.States = append(r.Chunks, a), append(r.ChunkFacts, v), append(r.States, st)
		r.Data, r.DataFacts = append(r.Data, stepData), append(r.DataFacts, stepFacts)
	}
	if st.Cursor != n || withData && st.Windows != DataWindowsOf(st.DataLen) {
		return nil, fmt.Errorf("receipt chunks: the logs end at %d of %d bytes, %d of %d data windows", st.Cursor, n, st.Windows, DataWindowsOf(st.DataLen))
	}

	t := &ReceiptTailLeaf{State: st.assign(), Root: halves(root), Key: halves(key)[0], Depth: leafStep.Depth, TxIndex: txIndex}
	copy(t.Prefix[:], uints.NewU8Array(bytes[:ReceiptPrefixLen]))
	r.TailFacts.Consumed[0] = ChunkFact(&st)
	if leafStep.Depth > 0 {
		r.TailFacts.Consumed[1] = PathFact(root, key, false, leafStep.Depth, leafStep.Hash, false)
	}
	r.TailFacts.Produced = LogFact(root, pub)
	r.TailFacts.Assign(&t.IO)
	r.Tail = t
	return r, nil
}

// assignDataStep builds data window k of data (window: the node's bytes from the window's
// start on, at least DataWindow of them) absorbed from the sponge of digest in, and returns
// its facts, the sponge's digest after it (0 after the last) and, after the last, the data's
// hash.
func assignDataStep(data []byte, k int, window []byte, in fr.Element) (*ReceiptDataLeaf, facts.Values, fr.Element, common.Hash, error) {
	var v facts.Values
	inDigest, lanes, err := spongeDigest(data[:k*DataWindow])
	if err != nil {
		return nil, v, fr.Element{}, common.Hash{}, err
	}
	if !inDigest.Equal(&in) {
		return nil, v, fr.Element{}, common.Hash{}, fmt.Errorf("receipt data: window %d starts from another sponge", k)
	}
	left := len(data) - k*DataWindow
	final := left < DataWindow
	nBytes := DataWindow
	var out fr.Element
	var hash common.Hash
	if final {
		nBytes, hash = left, crypto.Keccak256Hash(data)
	} else if out, _, err = spongeDigest(data[:(k+1)*DataWindow]); err != nil {
		return nil, v, fr.Element{}, common.Hash{}, err
	}
	a := &ReceiptDataLeaf{N: nBytes, Final: boolVar(final)}
	copy(a.Lanes[:], uints.NewU8Array(lanes[:]))
	copy(a.Window[:], uints.NewU8Array(window[:DataWindow]))
	v.Produced = DataStepFact(packDigestNative(window[:DataWindow]), nBytes, final, inDigest, out, hash)
	v.Assign(&a.IO)
	return a, v, out, hash, nil
}
