package leaf

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
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

// StatementCircuit hashes a batch of typed claims into the batch statement
// (protocol.Statement.Hash): exactly len(Claims) lane claims proven by storage, heads or
// checkpoints, then up to len(Receipts) claims proven by receipt (lanes by receipt, then
// events: ReceiptClaimPublic), then up to len(Rotations) rotation claims. For each lane claim it exposes the header fields, trie
// keys and storage values the aggregation circuit links to the claim's other proofs; for each
// rotation slot the claim's hash, which the aggregation links to a rotation leaf (zero for an
// unused slot: the used ones come first). It keeps keccak out of the BW6-761 aggregation
// circuit: every keccak of the statement and of the trie keys (keccak(outbox), keccak(slot))
// is computed here, on BLS12-377.
//
// A head's keys are the lane's word and accumulator slots, and its word's low 64 bits are its
// count. A checkpoint's key is its CheckpointSlot (the lane's base slot + 2 + count), for
// both storage proofs: the checkpoint's value is its accumulator, and the word proof repeats
// it. The kind byte picks the slot; both kinds cost the same keccak permutations.
//
// Cost (R1CS, BLS12-377): one lane claim and one rotation slot, 876,314 constraints (seven
// keccak permutations, the statement's of variable length); a receipt slot adds two
// permutations (its claim's hash, of 141 or 266 bytes): 1,092,215 with one lane claim, one
// receipt slot and one rotation slot, 454,628 without the lane claim.
type StatementCircuit struct {
	Statement [2]frontend.Variable `gnark:",public"`
	Claims    []ClaimPublic
	Receipts  []ReceiptClaimPublic
	Rotations [][2]frontend.Variable `gnark:",public"`

	Encoded        [][protocol.LaneClaimSize]uints.U8
	ReceiptEncoded [][protocol.EventClaimSize]uints.U8
	RotationHashes [][32]uints.U8
}

// NewStatementCircuit is the placeholder of a statement leaf of n lane claims proven by
// storage, up to receipts claims proven by receipt (lanes by receipt, then events) and up to
// rotations rotation claims.
func NewStatementCircuit(n, receipts, rotations int) *StatementCircuit {
	return &StatementCircuit{
		Claims: make([]ClaimPublic, n), Encoded: make([][protocol.LaneClaimSize]uints.U8, n),
		Receipts: make([]ReceiptClaimPublic, receipts), ReceiptEncoded: make([][protocol.EventClaimSize]uints.U8, receipts),
		Rotations: make([][2]frontend.Variable, rotations), RotationHashes: make([][32]uints.U8, rotations),
	}
}

// Offsets of the fields of a packed lane claim (protocol.LaneClaim.Encode).
const (
	offKind, offSrc, offDst, offOutbox, offCommittee, offNumber, offHash, offCount, offAcc = 0, 1, 5, 9, 29, 61, 69, 101, 109
)

// Define implements frontend.Circuit.
func (c *StatementCircuit) Define(api frontend.API) error {
	if len(c.Claims)+len(c.Receipts) == 0 || len(c.Claims) != len(c.Encoded) || len(c.Receipts) != len(c.ReceiptEncoded) ||
		len(c.Rotations) != len(c.RotationHashes) {
		return fmt.Errorf("statement leaf: %d claims, %d encodings, %d receipt claims, %d encodings, %d rotations, %d rotation hashes",
			len(c.Claims), len(c.Encoded), len(c.Receipts), len(c.ReceiptEncoded), len(c.Rotations), len(c.RotationHashes))
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
	values := func(bs []uints.U8) []frontend.Variable { return byteValues(bf, bs) }
	assertHalvesOf := func(bs []uints.U8, h [2]frontend.Variable) { assertHalves(api, values(bs), h) }

	var hashes []uints.U8
	for i := range c.Claims {
		claimHash, err := laneClaim(api, bf, keccak, c.Encoded[i][:], &c.Claims[i])
		if err != nil {
			return err
		}
		hashes = append(hashes, claimHash...)
	}
	n := frontend.Variable(len(c.Claims))
	// Receipt slots: kind 0 is an unused slot; the used ones come first.
	var receiptHashes [][]uints.U8
	receiptsUsed := frontend.Variable(0)
	var prev frontend.Variable = 1
	for i := range c.Receipts {
		h, used, err := c.receiptSlot(api, bf, i, func(in []uints.U8, length frontend.Variable) ([]uints.U8, error) {
			h, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(protocol.LaneClaimSize))
			if err != nil {
				return nil, fmt.Errorf("statement leaf: keccak: %w", err)
			}
			h.Write(in)
			return h.FixedLengthSum(length), nil
		})
		if err != nil {
			return err
		}
		api.AssertIsEqual(api.Mul(used, api.Sub(1, prev)), 0)
		prev = used
		receiptsUsed = api.Add(receiptsUsed, used)
		receiptHashes = append(receiptHashes, h)
	}
	n = api.Add(n, receiptsUsed)
	// Rotation slots: a zero hash is an unused slot; the used ones come first.
	prev = 1
	var rotationHashes [][]uints.U8
	for r := range c.Rotations {
		assertHalvesOf(c.RotationHashes[r][:], c.Rotations[r])
		used := api.Sub(1, api.IsZero(api.Add(c.Rotations[r][0], c.Rotations[r][1])))
		api.AssertIsEqual(api.Mul(used, api.Sub(1, prev)), 0)
		prev = used
		n = api.Add(n, used)
		rotationHashes = append(rotationHashes, c.RotationHashes[r][:])
	}
	// The used receipt claims' hashes, then the used rotations': a rotation's place follows
	// the number of used receipt slots.
	for _, h := range compact(api, bf, receiptHashes, rotationHashes, receiptsUsed) {
		hashes = append(hashes, h...)
	}
	stmt := append(constBytes(protocol.StatementTag[:]), constBytes(make([]byte, 3))...)
	stmt = append(stmt, bf.ValueOf(n)) // at most 255 claims
	stmt = append(stmt, hashes...)
	h, err := sha3.NewLegacyKeccak256(api)
	if err != nil {
		return fmt.Errorf("statement leaf: keccak: %w", err)
	}
	h.Write(stmt)
	var digest []uints.U8
	if len(c.Rotations)+len(c.Receipts) == 0 {
		digest = h.Sum()
	} else {
		digest = h.FixedLengthSum(api.Add(32+4, api.Mul(n, 32)))
	}
	assertHalvesOf(digest, c.Statement)
	return nil
}

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

// compact returns the receipt slots' hashes, then the rotation slots', with the used receipt
// slots (the first used of them) closed up against the rotations: position t holds receipt
// hash t below used, else rotation hash t − used (zero past the last). Without receipt slots
// it returns the rotations' hashes as they are.
func compact(api frontend.API, bf *uints.Bytes, receipts, rotations [][]uints.U8, used frontend.Variable) [][]uints.U8 {
	if len(receipts) == 0 {
		return rotations
	}
	total := len(receipts) + len(rotations)
	is := make([]frontend.Variable, len(receipts)+1) // is[u]: used = u
	for u := range is {
		is[u] = api.IsZero(api.Sub(used, u))
	}
	out := make([][]uints.U8, total)
	for t := range total {
		out[t] = make([]uints.U8, 32)
		for b := range 32 {
			var v frontend.Variable = 0
			for u := 0; u <= len(receipts); u++ { // used = u
				var cand frontend.Variable = 0
				switch {
				case t < u:
					cand = bf.Value(receipts[t][b])
				case t-u < len(rotations):
					cand = bf.Value(rotations[t-u][b])
				}
				v = api.Add(v, api.Mul(is[u], cand))
			}
			out[t][b] = bf.ValueOf(v)
		}
	}
	return out
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

// StatementPublic is the native twin of a statement leaf's public inputs.
type StatementPublic struct {
	Statement common.Hash
	Claims    []ClaimKeys
	// Receipts are the receipt slots' logs, Kind 0 for an unused slot.
	Receipts []ReceiptLog
	// Rotations are the rotation slots' claim hashes, zero for an unused slot.
	Rotations []common.Hash
}

// ClaimKeys are a lane claim's trie keys and storage values, as the statement leaf exposes
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

// AssignStatement builds the witness of a statement leaf with room for receipts claims proven
// by receipt and rotations rotation claims, for a statement whose lane claims proven by
// storage (a prefix of its lanes) have the first storage values words (a head's lane word, a
// checkpoint's accumulator). It refuses a head whose word's count is not the claim's, a
// checkpoint whose value is not its accumulator, a lane by receipt of count 0, and more
// claims than the room.
func AssignStatement(stmt protocol.Statement, words []common.Hash, receipts, rotations int) (*StatementCircuit, *StatementPublic, error) {
	if err := stmt.Validate(); err != nil {
		return nil, nil, fmt.Errorf("statement leaf: %w", err)
	}
	claims := stmt.Lanes
	for len(claims) > 0 && claims[len(claims)-1].Kind.ByReceipt() {
		claims = claims[:len(claims)-1]
	}
	byReceipt := stmt.Lanes[len(claims):]
	if len(claims) != len(words) {
		return nil, nil, fmt.Errorf("statement leaf: %d lane claims proven by storage, %d words", len(claims), len(words))
	}
	if n := len(byReceipt) + len(stmt.Events); n > receipts {
		return nil, nil, fmt.Errorf("statement leaf: %d claims proven by receipt, room for %d", n, receipts)
	}
	if len(stmt.Rotations) > rotations {
		return nil, nil, fmt.Errorf("statement leaf: %d rotations, room for %d", len(stmt.Rotations), rotations)
	}
	if len(claims)+receipts == 0 {
		return nil, nil, fmt.Errorf("statement leaf: no lane or receipt slot")
	}
	pub := &StatementPublic{Statement: stmt.Hash(), Receipts: make([]ReceiptLog, receipts), Rotations: make([]common.Hash, rotations)}
	a := NewStatementCircuit(len(claims), receipts, rotations)
	a.Statement = halves(pub.Statement)
	for i, c := range claims {
		switch c.Kind {
		case protocol.KindLaneHead:
			if got := binary.BigEndian.Uint64(words[i][24:]); got != c.Count {
				return nil, nil, fmt.Errorf("statement leaf: claim %d: lane word holds count %d, the claim %d", i, got, c.Count)
			}
		case protocol.KindLaneCheckpoint:
			if words[i] != c.Acc {
				return nil, nil, fmt.Errorf("statement leaf: claim %d: checkpoint %d holds %s, the claim %s", i, c.Count, words[i], c.Acc)
			}
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
	for r := range receipts {
		var enc []byte
		switch {
		case r < len(byReceipt):
			c := byReceipt[r]
			if c.Count == 0 {
				return nil, nil, fmt.Errorf("statement leaf: a lane by receipt of count 0 (no message, no log)")
			}
			enc, pub.Receipts[r] = c.Encode(), LogOfLane(c)
		case r < len(byReceipt)+len(stmt.Events):
			e := stmt.Events[r-len(byReceipt)]
			enc, pub.Receipts[r] = e.Encode(), LogOfEvent(e)
		}
		a.assignReceiptSlot(r, enc, pub.Receipts[r])
	}
	for r := range rotations {
		if r < len(stmt.Rotations) {
			pub.Rotations[r] = stmt.Rotations[r].Hash()
		}
		a.Rotations[r] = halves(pub.Rotations[r])
		copy(a.RotationHashes[r][:], uints.NewU8Array(pub.Rotations[r][:]))
	}
	return a, pub, nil
}
