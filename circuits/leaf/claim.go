package leaf

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// ClaimPublic is what a lane claim's leaf reads of it (the claim's fields, the trie keys and
// storage values its state proofs open), for the facts it produces. Hashes and words are 128-bit halves,
// high first.
type ClaimPublic struct {
	SrcDomain   frontend.Variable    `gnark:",public"`
	Committee   frontend.Variable    `gnark:",public"`
	BlockNumber frontend.Variable    `gnark:",public"`
	BlockHash   [2]frontend.Variable `gnark:",public"`
	// AccountKey is keccak(outbox), the Outbox's path in the state trie; WordKey and AccKey
	// are the paths of the lane's word and accumulator slots in its storage trie.
	AccountKey [2]frontend.Variable `gnark:",public"`
	WordKey    [2]frontend.Variable `gnark:",public"`
	AccKey     [2]frontend.Variable `gnark:",public"`
	// Word is the lane word's storage value, whose low 64 bits are the claim's count; Acc the
	// accumulator's.
	Word [2]frontend.Variable `gnark:",public"`
	Acc  [2]frontend.Variable `gnark:",public"`
}

// Offsets of the fields of a packed lane claim (protocol.LaneClaim.Encode).
const (
	offKind, offSrc, offDst, offOutbox, offCommittee, offNumber, offHash, offCount, offAcc = 0, 1, 5, 9, 29, 61, 69, 101, 109
)

// laneClaim asserts that enc is a packed lane claim (a head or a checkpoint) whose fields,
// trie keys and storage values are pub's, and returns its keccak256, the claim's hash.
func laneClaim(api frontend.API, bf *uints.Bytes, keccak func([]uints.U8) ([]uints.U8, error), enc []uints.U8, pub *ClaimPublic) ([]uints.U8, error) {
	values := func(bs []uints.U8) []frontend.Variable { return byteValues(bf, bs) }
	number := func(bs []uints.U8) frontend.Variable { return bigEndian(api, bf, bs) }
	assertHalvesOf := func(bs []uints.U8, h [2]frontend.Variable) { assertHalves(api, values(bs), h) }
	// The kind: a head (1) or a checkpoint (2).
	kind := bf.Value(enc[offKind])
	api.AssertIsEqual(api.Mul(api.Sub(kind, uint8(protocol.KindLaneHead)), api.Sub(kind, uint8(protocol.KindLaneCheckpoint))), 0)
	isHead := api.Sub(uint8(protocol.KindLaneCheckpoint), kind)
	count := number(enc[offCount:offAcc])

	api.AssertIsEqual(number(enc[offSrc:offDst]), pub.SrcDomain)
	api.AssertIsEqual(fieldElement(api, values(enc[offCommittee:offNumber])), pub.Committee)
	api.AssertIsEqual(number(enc[offNumber:offHash]), pub.BlockNumber)
	assertHalvesOf(enc[offHash:offCount], pub.BlockHash)
	assertHalvesOf(enc[offAcc:], pub.Acc)
	// A head's word holds its count in the low 64 bits; the bits above (the open
	// segment) are free. A checkpoint's "word" is its own slot's value.
	low := api.ToBinary(pub.Word[1], 128)
	api.AssertIsEqual(api.Mul(isHead, api.Sub(api.FromBinary(low[:64]...), count)), 0)

	accountKey, err := keccak(enc[offOutbox:offCommittee])
	if err != nil {
		return nil, err
	}
	assertHalvesOf(accountKey, pub.AccountKey)
	// The lane's base slot is keccak(pad32(dstDomain) ‖ pad32(0)): the word's slot. The
	// accumulator's is the next; a checkpoint's is base + 2 + count.
	wordSlot, err := keccak(append(append(constBytes(make([]byte, 28)), enc[offDst:offOutbox]...), constBytes(make([]byte, 32))...))
	if err != nil {
		return nil, err
	}
	wordKey, err := keccak(wordSlot)
	if err != nil {
		return nil, err
	}
	offset := api.Select(isHead, 1, api.Add(count, 2))
	accKey, err := keccak(addSmall(api, bf, wordSlot, offset, 9))
	if err != nil {
		return nil, err
	}
	assertHalvesOf(accKey, pub.AccKey)
	wk, ak := mpt.Ref(api, values(wordKey)), mpt.Ref(api, values(accKey))
	for h := range pub.WordKey {
		api.AssertIsEqual(pub.WordKey[h], api.Select(isHead, wk[h], ak[h]))
	}

	claimHash, err := keccak(enc)
	if err != nil {
		return nil, err
	}
	return claimHash, nil
}

func constBytes(b []byte) []uints.U8 { return uints.NewU8Array(b) }

// byteValues are the values of bytes.
func byteValues(bf *uints.Bytes, bs []uints.U8) []frontend.Variable {
	out := make([]frontend.Variable, len(bs))
	for i := range bs {
		out[i] = bf.Value(bs[i])
	}
	return out
}

// bigEndian is the integer bytes encode, big-endian.
func bigEndian(api frontend.API, bf *uints.Bytes, bs []uints.U8) frontend.Variable {
	var v frontend.Variable = 0
	for _, b := range byteValues(bf, bs) {
		v = api.Add(api.Mul(v, 256), b)
	}
	return v
}

// addSmall returns the 32-byte big-endian b + v modulo 2^256, for v below 2^(8·width).
func addSmall(api frontend.API, bf *uints.Bytes, b []uints.U8, v frontend.Variable, width int) []uints.U8 {
	vb := api.ToBinary(v, 8*width)
	out := make([]uints.U8, len(b))
	var carry frontend.Variable = 0
	for i := len(b) - 1; i >= 0; i-- {
		s := api.Add(bf.Value(b[i]), carry)
		if k := len(b) - 1 - i; k < width {
			s = api.Add(s, api.FromBinary(vb[8*k:8*k+8]...))
		}
		// s < 2·256: the carry is its ninth bit.
		bits := api.ToBinary(s, 9)
		carry = bits[8]
		out[i] = bf.ValueOf(api.FromBinary(bits[:8]...))
	}
	return out
}

// ClaimKeys are a lane claim's trie keys and storage values, as a lane leaf reads
// them: the slots its two storage proofs open, and the value of the first.
type ClaimKeys struct {
	Claim                       protocol.LaneClaim
	AccountKey, WordKey, AccKey common.Hash
	Word                        common.Hash
}

// Slots are the storage slots of a lane claim's two storage proofs: a head's word and
// accumulator slots, or a checkpoint's slot twice.
func Slots(c protocol.LaneClaim) (word, acc common.Hash) {
	if c.Kind == protocol.KindLaneCheckpoint {
		s := protocol.CheckpointSlot(c.DstDomain, c.Count)
		return s, s
	}
	return protocol.LaneWordSlot(c.DstDomain), protocol.LaneAccSlot(c.DstDomain)
}

// KeysOf derives a claim's trie keys natively; word is the value of its first storage proof
// (a head's lane word; a checkpoint's accumulator).
func KeysOf(c protocol.LaneClaim, word common.Hash) ClaimKeys {
	ws, as := Slots(c)
	return ClaimKeys{
		Claim:      c,
		AccountKey: crypto.Keccak256Hash(c.Outbox[:]),
		WordKey:    crypto.Keccak256Hash(ws[:]),
		AccKey:     crypto.Keccak256Hash(as[:]),
		Word:       word,
	}
}

// assignClaim is the witness of a lane claim proven by storage whose first storage value is
// word (a head's lane word, a checkpoint's accumulator): its fields, keys and values, and its
// encoding. It refuses a claim the Inbox would refuse for its form, a head whose word's count
// is not the claim's and a checkpoint whose value is not its accumulator.
func assignClaim(c protocol.LaneClaim, word common.Hash) (ClaimPublic, ClaimKeys, [protocol.LaneClaimSize]uints.U8, error) {
	var enc [protocol.LaneClaimSize]uints.U8
	if err := (&protocol.Statement{Lanes: []protocol.LaneClaim{c}}).Validate(); err != nil {
		return ClaimPublic{}, ClaimKeys{}, enc, err
	}
	switch c.Kind {
	case protocol.KindLaneHead:
		if got := binary.BigEndian.Uint64(word[24:]); got != c.Count {
			return ClaimPublic{}, ClaimKeys{}, enc, fmt.Errorf("lane word holds count %d, the claim %d", got, c.Count)
		}
	case protocol.KindLaneCheckpoint:
		if word != c.Acc {
			return ClaimPublic{}, ClaimKeys{}, enc, fmt.Errorf("checkpoint %d holds %s, the claim %s", c.Count, word, c.Acc)
		}
	default:
		return ClaimPublic{}, ClaimKeys{}, enc, fmt.Errorf("a lane claim of %v is not proven by storage", c.Kind)
	}
	k := KeysOf(c, word)
	p := ClaimPublic{
		SrcDomain: c.SrcDomain, Committee: new(big.Int).SetBytes(c.Committee[:]), BlockNumber: c.BlockNumber,
		BlockHash: halves(c.BlockHash), AccountKey: halves(k.AccountKey), WordKey: halves(k.WordKey),
		AccKey: halves(k.AccKey), Word: halves(k.Word), Acc: halves(c.Acc),
	}
	copy(enc[:], uints.NewU8Array(c.Encode()))
	return p, k, enc, nil
}
