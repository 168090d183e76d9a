package leaf

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/protocol"
)

// ClaimPublic is what a statement leaf exposes of one lane claim, for the aggregation circuit
// to link with the claim's header leaf and state steps. Hashes and words are 128-bit halves,
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

// StatementCircuit hashes a batch of exactly len(Claims) lane claims (no rotations) into the
// batch statement (protocol.Statement.Hash), and exposes, for each claim, the header fields,
// trie keys and storage values the aggregation circuit links to the claim's other proofs. It
// keeps keccak out of the BW6-761 aggregation circuit: every keccak of the statement and of
// the trie keys (keccak(outbox), keccak(slot)) is computed here, on BLS12-377.
//
// Cost (R1CS, BLS12-377): one claim ~0.87M constraints (seven keccak permutations).
type StatementCircuit struct {
	Statement [2]frontend.Variable `gnark:",public"`
	Claims    []ClaimPublic

	Encoded [][protocol.LaneClaimSize]uints.U8
}

// NewStatementCircuit is the placeholder of a statement leaf of n claims.
func NewStatementCircuit(n int) *StatementCircuit {
	return &StatementCircuit{Claims: make([]ClaimPublic, n), Encoded: make([][protocol.LaneClaimSize]uints.U8, n)}
}

// Offsets of the fields of a packed lane claim (protocol.LaneClaim.Encode).
const (
	offSrc, offDst, offOutbox, offCommittee, offNumber, offHash, offCount, offAcc = 0, 4, 8, 28, 60, 68, 100, 108
)

// Define implements frontend.Circuit.
func (c *StatementCircuit) Define(api frontend.API) error {
	if len(c.Claims) == 0 || len(c.Claims) != len(c.Encoded) {
		return fmt.Errorf("statement leaf: %d claims, %d encodings", len(c.Claims), len(c.Encoded))
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("statement leaf: %w", err)
	}
	keccak := func(in []uints.U8) ([]uints.U8, error) {
		h, err := sha3.NewLegacyKeccak256(api)
		if err != nil {
			return nil, fmt.Errorf("statement leaf: keccak: %w", err)
		}
		h.Write(in)
		return h.Sum(), nil
	}
	values := func(bs []uints.U8) []frontend.Variable {
		out := make([]frontend.Variable, len(bs))
		for i := range bs {
			out[i] = bf.Value(bs[i])
		}
		return out
	}
	number := func(bs []uints.U8) frontend.Variable {
		var v frontend.Variable = 0
		for _, b := range values(bs) {
			v = api.Add(api.Mul(v, 256), b)
		}
		return v
	}
	assertHalvesOf := func(bs []uints.U8, h [2]frontend.Variable) { assertHalves(api, values(bs), h) }

	stmt := append(constBytes(protocol.StatementTag[:]), constBytes(binary.BigEndian.AppendUint32(nil, uint32(len(c.Claims))))...)
	for i := range c.Claims {
		enc, pub := c.Encoded[i][:], &c.Claims[i]
		api.AssertIsEqual(number(enc[offSrc:offDst]), pub.SrcDomain)
		api.AssertIsEqual(number(enc[offCommittee:offNumber]), pub.Committee)
		api.AssertIsEqual(number(enc[offNumber:offHash]), pub.BlockNumber)
		assertHalvesOf(enc[offHash:offCount], pub.BlockHash)
		assertHalvesOf(enc[offAcc:], pub.Acc)
		// The word's low 64 bits are the count; the bits above (the open segment) are free.
		low := api.ToBinary(pub.Word[1], 128)
		api.AssertIsEqual(api.FromBinary(low[:64]...), number(enc[offCount:offAcc]))

		accountKey, err := keccak(enc[offOutbox:offCommittee])
		if err != nil {
			return err
		}
		assertHalvesOf(accountKey, pub.AccountKey)
		// The word slot is keccak(pad32(dstDomain) ‖ pad32(0)); the accumulator's is the next.
		wordSlot, err := keccak(append(append(constBytes(make([]byte, 28)), enc[offDst:offOutbox]...), constBytes(make([]byte, 32))...))
		if err != nil {
			return err
		}
		wordKey, err := keccak(wordSlot)
		if err != nil {
			return err
		}
		assertHalvesOf(wordKey, pub.WordKey)
		accKey, err := keccak(increment(api, bf, wordSlot))
		if err != nil {
			return err
		}
		assertHalvesOf(accKey, pub.AccKey)

		claimHash, err := keccak(enc)
		if err != nil {
			return err
		}
		stmt = append(stmt, claimHash...)
	}
	stmt = append(stmt, constBytes(make([]byte, 4))...) // no rotations
	h, err := keccak(stmt)
	if err != nil {
		return err
	}
	assertHalvesOf(h, c.Statement)
	return nil
}

func constBytes(b []byte) []uints.U8 { return uints.NewU8Array(b) }

// increment returns the 32-byte big-endian b + 1 modulo 2^256.
func increment(api frontend.API, bf *uints.Bytes, b []uints.U8) []uints.U8 {
	out := make([]uints.U8, len(b))
	var carry frontend.Variable = 1
	for i := len(b) - 1; i >= 0; i-- {
		s := api.Add(bf.Value(b[i]), carry)
		carry = api.IsZero(api.Sub(s, 256))
		out[i] = bf.ValueOf(api.Sub(s, api.Mul(carry, 256)))
	}
	return out
}

// StatementPublic is the native twin of a statement leaf's public inputs.
type StatementPublic struct {
	Statement common.Hash
	Claims    []ClaimKeys
}

// ClaimKeys are a claim's trie keys and storage values, as the statement leaf exposes them.
type ClaimKeys struct {
	Claim                       protocol.LaneClaim
	AccountKey, WordKey, AccKey common.Hash
	Word                        common.Hash
}

// KeysOf derives a claim's trie keys natively; word is the lane word's storage value.
func KeysOf(c protocol.LaneClaim, word common.Hash) ClaimKeys {
	return ClaimKeys{
		Claim:      c,
		AccountKey: crypto.Keccak256Hash(c.Outbox[:]),
		WordKey:    crypto.Keccak256Hash(protocol.LaneWordSlot(c.DstDomain).Bytes()),
		AccKey:     crypto.Keccak256Hash(protocol.LaneAccSlot(c.DstDomain).Bytes()),
		Word:       word,
	}
}

// AssignStatement builds a statement leaf's witness for claims, whose lane words (storage
// values) are words. It refuses a word whose count is not the claim's.
func AssignStatement(claims []protocol.LaneClaim, words []common.Hash) (*StatementCircuit, *StatementPublic, error) {
	if len(claims) == 0 || len(claims) != len(words) {
		return nil, nil, fmt.Errorf("statement leaf: %d claims, %d words", len(claims), len(words))
	}
	stmt := protocol.Statement{Lanes: claims}
	pub := &StatementPublic{Statement: stmt.Hash()}
	a := NewStatementCircuit(len(claims))
	a.Statement = halves(pub.Statement)
	for i, c := range claims {
		if got := binary.BigEndian.Uint64(words[i][24:]); got != c.Count {
			return nil, nil, fmt.Errorf("statement leaf: claim %d: lane word holds count %d, the claim %d", i, got, c.Count)
		}
		k := KeysOf(c, words[i])
		pub.Claims = append(pub.Claims, k)
		a.Claims[i] = ClaimPublic{
			SrcDomain: c.SrcDomain, Committee: new(big.Int).SetBytes(c.Committee[:]), BlockNumber: c.BlockNumber,
			BlockHash: halves(c.BlockHash), AccountKey: halves(k.AccountKey), WordKey: halves(k.WordKey),
			AccKey: halves(k.AccKey), Word: halves(k.Word), Acc: halves(c.Acc),
		}
		copy(a.Encoded[i][:], uints.NewU8Array(c.Encode()))
	}
	return a, pub, nil
}
