package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	bn254fr "github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

var update = flag.Bool("update", false, "rewrite the golden vectors in testdata/protocol")

func vectorsPath() string { return filepath.Join("..", VectorsFile) }

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func randomHash(r *rand.Rand) common.Hash { return common.BytesToHash(randomBytes(r, 32)) }

func randomAddress(r *rand.Rand) common.Address { return common.BytesToAddress(randomBytes(r, 20)) }

// makeVectors builds the golden vectors from fixed seeds.
func makeVectors() *Vectors {
	r := rand.New(rand.NewPCG(2026, 11))
	v := &Vectors{}
	var acc Accumulator
	for i, n := range []int{0, 1, 31, 32, 33, 64, 100, 1024} {
		m := Message{
			SrcDomain: 1, DstDomain: 2, Nonce: uint64(i),
			Sender: randomAddress(r), Recipient: randomAddress(r),
			GasLimit: uint64(r.IntN(MaxGasLimit + 1)), Payload: randomBytes(r, n),
		}
		acc.Append(m.Hash())
		v.Messages = append(v.Messages, MessageVector{Message: m, Encoded: m.Encode(), Hash: m.Hash(), AccAfter: acc.Acc})
	}
	var msgs []Message
	for _, mv := range v.Messages {
		msgs = append(msgs, mv.Message)
	}
	v.Delivery = PackDelivery(msgs)
	outbox, committee := randomAddress(r), randomHash(r)
	for _, c := range []LaneClaim{
		{Kind: KindLaneCheckpoint, SrcDomain: 1, DstDomain: 2, Outbox: outbox, Committee: committee, BlockNumber: 77, BlockHash: randomHash(r), Count: 3, Acc: v.Messages[2].AccAfter},
		{Kind: KindLaneHead, SrcDomain: 1, DstDomain: 2, Outbox: outbox, Committee: committee, BlockNumber: 78, BlockHash: randomHash(r), Count: 8, Acc: v.Messages[7].AccAfter},
		{Kind: KindLaneHead, SrcDomain: 0xfffffffe, DstDomain: 2, Outbox: randomAddress(r), Committee: randomHash(r), BlockNumber: 1<<64 - 1, BlockHash: randomHash(r), Count: 1<<64 - 1, Acc: randomHash(r)},
	} {
		v.LaneClaims = append(v.LaneClaims, LaneVector{Claim: c, Encoded: c.Encode(), Hash: c.Hash()})
	}
	for _, c := range []RotationClaim{
		{SrcDomain: 1, Committee: committee, NextEpoch: 1, NextCommittee: randomHash(r)},
		{SrcDomain: 0xfffffffe, Committee: randomHash(r), NextEpoch: 1<<64 - 1, NextCommittee: randomHash(r)},
	} {
		v.RotationClaims = append(v.RotationClaims, RotationVector{Claim: c, Encoded: c.Encode(), Hash: c.Hash()})
	}
	for _, sel := range [][2][]int{{{0}, {}}, {{0, 1, 2}, {0}}, {{}, {1}}, {{1, 0}, {0, 1}}} {
		v.Statements = append(v.Statements, StatementVec{Lanes: sel[0], Rotations: sel[1]})
		s := v.Statement(len(v.Statements) - 1)
		setStatement(&v.Statements[len(v.Statements)-1], s)
	}
	for _, sv := range []struct {
		dst   uint32
		count uint64
	}{{2, 256}, {0, 0}, {0xffffffff, 1 << 40}} {
		v.OutboxSlots = append(v.OutboxSlots, SlotVector{
			DstDomain: sv.dst, LaneWordSlot: LaneWordSlot(sv.dst), LaneAccSlot: LaneAccSlot(sv.dst),
			CheckpointCount: sv.count, CheckpointSlot: CheckpointSlot(sv.dst, sv.count),
		})
	}
	// Claims proven by receipt: a lane at count 5 (the MessageSent log of nonce 4), events of
	// no topic to four, and statements that hold them.
	receiptLane := LaneClaim{Kind: KindLaneReceipt, SrcDomain: 1, DstDomain: 2, Outbox: outbox, Committee: committee, BlockNumber: 79, BlockHash: randomHash(r), Count: 5, Acc: v.Messages[4].AccAfter}
	v.LaneClaims = append(v.LaneClaims, LaneVector{Claim: receiptLane, Encoded: receiptLane.Encode(), Hash: receiptLane.Hash()})
	for _, c := range []EventClaim{
		{SrcDomain: 1, Committee: committee, BlockNumber: 80, BlockHash: randomHash(r), TxIndex: 0, LogIndex: 2, Emitter: randomAddress(r),
			Topics: []common.Hash{randomHash(r), randomHash(r), randomHash(r)}, DataHash: randomHash(r)},
		{SrcDomain: 0xfffffffe, Committee: randomHash(r), BlockNumber: 1<<64 - 1, BlockHash: randomHash(r), TxIndex: 1<<32 - 1, LogIndex: 1<<32 - 1,
			Emitter: randomAddress(r), Topics: []common.Hash{randomHash(r), randomHash(r), randomHash(r), randomHash(r)}, DataHash: randomHash(r)},
		{SrcDomain: 1, Committee: committee, BlockNumber: 81, BlockHash: randomHash(r), TxIndex: 300, LogIndex: 0, Emitter: randomAddress(r)},
	} {
		v.EventClaims = append(v.EventClaims, EventVector{Claim: c, Encoded: c.Encode(), Hash: c.Hash(), ID: c.ID()})
	}
	for _, sel := range [][3][]int{{{1, 3}, {0, 2}, {0}}, {{}, {1}, {}}, {{3}, {}, {}}} {
		v.Statements = append(v.Statements, StatementVec{Lanes: sel[0], Events: sel[1], Rotations: sel[2]})
		s := v.Statement(len(v.Statements) - 1)
		setStatement(&v.Statements[len(v.Statements)-1], s)
	}
	return v
}

func setStatement(sv *StatementVec, s Statement) {
	sv.Hash, sv.PublicInput = s.Hash(), (*hexutil.Big)(s.PublicInput())
}

func TestGoldenVectors(t *testing.T) {
	want, err := json.MarshalIndent(makeVectors(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(vectorsPath()), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath(), want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(vectorsPath())
	if err != nil {
		t.Fatalf("%v (run go test ./protocol -update)", err)
	}
	if !bytes.Equal(have, want) {
		t.Fatalf("%s is stale or the encodings changed: run go test ./protocol -update and review the diff", VectorsFile)
	}
	// The file also loads back into what the other implementations read.
	v, err := LoadVectors(vectorsPath())
	if err != nil {
		t.Fatal(err)
	}
	for i, mv := range v.Messages {
		if mv.Message.Hash() != mv.Hash {
			t.Errorf("message %d: hash after reload %x, want %x", i, mv.Message.Hash(), mv.Hash)
		}
	}
}

// Encode must be exactly abi.encode of the seven fields: checked against go-ethereum's packer.
func TestMessageEncodeIsABIEncode(t *testing.T) {
	typ := func(s string) abi.Type {
		ty, err := abi.NewType(s, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		return ty
	}
	args := abi.Arguments{
		{Type: typ("uint32")}, {Type: typ("uint32")}, {Type: typ("uint64")}, {Type: typ("address")},
		{Type: typ("address")}, {Type: typ("uint64")}, {Type: typ("bytes")},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		m := Message{
			SrcDomain: r.Uint32(), DstDomain: r.Uint32(), Nonce: r.Uint64(), Sender: randomAddress(r),
			Recipient: randomAddress(r), GasLimit: r.Uint64(), Payload: randomBytes(r, r.IntN(1100)),
		}
		want, err := args.Pack(m.SrcDomain, m.DstDomain, m.Nonce, m.Sender, m.Recipient, m.GasLimit, []byte(m.Payload))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Encode(), want) {
			t.Fatalf("message %d (payload %d bytes): Encode differs from abi.encode", i, len(m.Payload))
		}
		if m.Hash() != crypto.Keccak256Hash(want) {
			t.Fatalf("message %d: Hash is not keccak256(abi.encode)", i)
		}
	}
}

func TestClaimEncodingLayout(t *testing.T) {
	c := LaneClaim{
		Kind: KindLaneHead, SrcDomain: 0x01020304, DstDomain: 0x05060708, Outbox: common.HexToAddress("0x1111111111111111111111111111111111111111"),
		Committee: common.HexToHash("0x22"), BlockNumber: 0x0a0b0c0d0e0f1011, BlockHash: common.HexToHash("0x33"),
		Count: 0x1213141516171819, Acc: common.HexToHash("0x44"),
	}
	enc := c.Encode()
	if len(enc) != 141 {
		t.Fatalf("lane claim encodes to %d bytes, want 141", len(enc))
	}
	want := hexutil.MustDecode("0x01" + "0102030405060708" + "1111111111111111111111111111111111111111" +
		common.HexToHash("0x22").Hex()[2:] + "0a0b0c0d0e0f1011" + common.HexToHash("0x33").Hex()[2:] +
		"1213141516171819" + common.HexToHash("0x44").Hex()[2:])
	if !bytes.Equal(enc, want) {
		t.Fatalf("lane claim encoding\n got %x\nwant %x", enc, want)
	}
	rc := RotationClaim{SrcDomain: 9, Committee: common.HexToHash("0x55"), NextEpoch: 3, NextCommittee: common.HexToHash("0x66")}
	if got := rc.Encode(); len(got) != 77 || got[0] != byte(KindRotation) {
		t.Fatalf("rotation claim encodes to %x, want 77 bytes opening with its kind", got)
	}
	// Every field changes the hash: a claim cannot be altered without changing the statement.
	base := Statement{Lanes: []LaneClaim{c}, Rotations: []RotationClaim{rc}}
	h0 := base.Hash()
	mutations := []func(s *Statement){
		func(s *Statement) { s.Lanes[0].Kind = KindLaneCheckpoint },
		func(s *Statement) { s.Lanes[0].SrcDomain++ },
		func(s *Statement) { s.Lanes[0].DstDomain++ },
		func(s *Statement) { s.Lanes[0].Outbox[0] ^= 1 },
		func(s *Statement) { s.Lanes[0].Committee[31] ^= 1 },
		func(s *Statement) { s.Lanes[0].BlockNumber++ },
		func(s *Statement) { s.Lanes[0].BlockHash[0] ^= 1 },
		func(s *Statement) { s.Lanes[0].Count++ },
		func(s *Statement) { s.Lanes[0].Acc[5] ^= 1 },
		func(s *Statement) { s.Rotations[0].NextEpoch++ },
		func(s *Statement) { s.Rotations[0].NextCommittee[0] ^= 1 },
		func(s *Statement) { s.Lanes = append(s.Lanes, s.Lanes[0]) },
		func(s *Statement) { s.Rotations = nil },
		func(s *Statement) { s.Lanes, s.Rotations = nil, nil },
	}
	for i, mutate := range mutations {
		s := Statement{Lanes: append([]LaneClaim(nil), base.Lanes...), Rotations: append([]RotationClaim(nil), base.Rotations...)}
		mutate(&s)
		if s.Hash() == h0 {
			t.Errorf("mutation %d left the statement hash unchanged", i)
		}
	}
}

// A key run is its kind and its fact; a hand-over is a rotation's fields with kind 7 and its
// runs after them. Each run and its order change the hash; the Inbox's lengths and a run's
// canonical fact are checked as Protocol.kindOf and the leaves do.
func TestHandOverClaimEncodingLayout(t *testing.T) {
	run := common.HexToHash("0x0102")
	if got := KeyRunClaim(run); len(got) != KeyRunClaimSize || got[0] != byte(KindKeyRun) || !bytes.Equal(got[1:], run[:]) {
		t.Fatalf("key run claim %x", got)
	}
	rc := RotationClaim{SrcDomain: 9, Committee: common.HexToHash("0x55"), NextEpoch: 3, NextCommittee: common.HexToHash("0x66"),
		Runs: []common.Hash{common.HexToHash("0x77"), common.HexToHash("0x88")}}
	enc := rc.Encode()
	plain := rc
	plain.Runs = nil
	if len(enc) != RotationClaimSize+64 || enc[0] != byte(KindHandOver) || !bytes.Equal(enc[1:RotationClaimSize], plain.Encode()[1:]) ||
		!bytes.Equal(enc[RotationClaimSize:], append(rc.Runs[0].Bytes(), rc.Runs[1].Bytes()...)) {
		t.Fatalf("hand-over encoding %x", enc)
	}
	for _, tc := range []struct {
		claim []byte
		ok    bool
	}{
		{enc, true}, {KeyRunClaim(run), true}, {enc[:RotationClaimSize], false}, {enc[:len(enc)-1], false}, {append(bytes.Clone(enc), 0), false},
		{append(KeyRunClaim(run), 0), false}, {KeyRunClaim(run)[:32], false},
		{(&RotationClaim{Runs: make([]common.Hash, MaxHandOverRuns)}).Encode(), true},
		{(&RotationClaim{Runs: make([]common.Hash, MaxHandOverRuns+1)}).Encode(), false},
	} {
		if _, err := CheckClaim(tc.claim); (err == nil) != tc.ok {
			t.Errorf("a %d-byte claim of kind %d: %v", len(tc.claim), tc.claim[0], err)
		}
	}
	h0 := (&Statement{KeyRuns: []common.Hash{run}, Rotations: []RotationClaim{rc}}).Hash()
	for i, mutate := range []func(s *Statement){
		func(s *Statement) { s.KeyRuns[0][31] ^= 1 },
		func(s *Statement) { s.Rotations[0].Runs[1][0] ^= 1 },
		func(s *Statement) {
			s.Rotations[0].Runs[0], s.Rotations[0].Runs[1] = s.Rotations[0].Runs[1], s.Rotations[0].Runs[0]
		},
		func(s *Statement) { s.Rotations[0].Runs = s.Rotations[0].Runs[:1] },
		func(s *Statement) { s.Rotations[0].Runs = nil },
		func(s *Statement) { s.KeyRuns = nil },
	} {
		s := Statement{KeyRuns: []common.Hash{run}, Rotations: []RotationClaim{rc}}
		s.Rotations[0].Runs = append([]common.Hash(nil), rc.Runs...)
		mutate(&s)
		if s.Hash() == h0 {
			t.Errorf("mutation %d left the statement hash unchanged", i)
		}
	}
	big := common.Hash(CommitmentModulus.Bytes())
	for name, s := range map[string]Statement{
		"a key run's fact at the modulus":  {KeyRuns: []common.Hash{big}},
		"a hand-over's run at the modulus": {Rotations: []RotationClaim{{Committee: rc.Committee, NextCommittee: rc.NextCommittee, Runs: []common.Hash{big}}}},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
	if err := (&Statement{KeyRuns: []common.Hash{run}}).Validate(); err != nil {
		t.Errorf("a statement of one key run: %v", err)
	}
}

// An event claim's layout, field by field; its ID leaves out the kind and the committee; every
// field changes its hash; a statement with it validates only in its form.
func TestEventClaimEncodingLayout(t *testing.T) {
	e := EventClaim{
		SrcDomain: 0x01020304, Committee: common.HexToHash("0x22"), BlockNumber: 0x0a0b0c0d0e0f1011, BlockHash: common.HexToHash("0x33"),
		TxIndex: 0x12131415, LogIndex: 0x16171819, Emitter: common.HexToAddress("0x1111111111111111111111111111111111111111"),
		Topics: []common.Hash{common.HexToHash("0x44"), common.HexToHash("0x55")}, DataHash: common.HexToHash("0x66"),
	}
	hex := func(h string) string { return common.HexToHash(h).Hex()[2:] }
	want := hexutil.MustDecode("0x05" + "01020304" + hex("0x22") + "0a0b0c0d0e0f1011" + hex("0x33") + "12131415" + "16171819" +
		"1111111111111111111111111111111111111111" + "02" + hex("0x44") + hex("0x55") + hex("0x0") + hex("0x0") + hex("0x66"))
	enc := e.Encode()
	if len(enc) != EventClaimSize || !bytes.Equal(enc, want) || enc[EventTopicsOffset] != 2 {
		t.Fatalf("event claim encoding (%d bytes)\n got %x\nwant %x", len(enc), enc, want)
	}
	if id := e.ID(); id != crypto.Keccak256Hash(want[1:5], want[37:]) {
		t.Fatalf("event ID %s is not keccak256 of the encoding without kind and committee", id)
	}
	other := e
	other.Committee = common.HexToHash("0x99")
	if other.ID() != e.ID() || other.Hash() == e.Hash() {
		t.Fatal("the committee changes the event's ID, or leaves its claim hash unchanged")
	}
	mutations := map[string]func(c *EventClaim){
		"source domain": func(c *EventClaim) { c.SrcDomain++ },
		"block number":  func(c *EventClaim) { c.BlockNumber++ },
		"block hash":    func(c *EventClaim) { c.BlockHash[0] ^= 1 },
		"tx index":      func(c *EventClaim) { c.TxIndex++ },
		"log index":     func(c *EventClaim) { c.LogIndex++ },
		"emitter":       func(c *EventClaim) { c.Emitter[0] ^= 1 },
		"a topic":       func(c *EventClaim) { c.Topics = []common.Hash{c.Topics[0], common.HexToHash("0x56")} },
		"a zero topic more": func(c *EventClaim) {
			c.Topics = append(append([]common.Hash(nil), c.Topics...), common.Hash{})
		},
		"data hash": func(c *EventClaim) { c.DataHash[31] ^= 1 },
	}
	for name, mutate := range mutations {
		c := e
		mutate(&c)
		if c.ID() == e.ID() || c.Hash() == e.Hash() {
			t.Errorf("%s: the event's ID or hash is unchanged", name)
		}
	}

	lane := func(k ClaimKind) LaneClaim { return LaneClaim{Kind: k, SrcDomain: 1, DstDomain: 2} }
	ok := Statement{Lanes: []LaneClaim{lane(KindLaneHead), lane(KindLaneReceipt)}, Events: []EventClaim{e}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := ok.Claims(); len(got) != 3 || got[1][0] != byte(KindLaneReceipt) || got[2][0] != byte(KindEvent) {
		t.Fatal("claims are not lanes, then events")
	}
	five := e
	five.Topics = make([]common.Hash, 5)
	for name, s := range map[string]Statement{
		"a storage lane after a receipt lane": {Lanes: []LaneClaim{lane(KindLaneReceipt), lane(KindLaneCheckpoint)}},
		"an event of five topics":             {Events: []EventClaim{five}},
		"an event kind among the lanes":       {Lanes: []LaneClaim{lane(KindEvent)}},
	} {
		if err := s.Validate(); !errors.Is(err, ErrBadEncoding) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPublicInputFitsBN254(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	limit := new(big.Int).Lsh(big.NewInt(1), ChainInputBits)
	if limit.Cmp(bn254fr.Modulus()) >= 0 || limit.Cmp(CommitmentModulus) >= 0 {
		t.Fatal("2^252 is not below the BN254 and BLS12-377 scalar field moduli")
	}
	for i := 0; i < 1000; i++ {
		h := randomHash(r)
		h[0] = 0xff // top bits set: they must be cleared
		p := ChainInput(h)
		if p.Cmp(limit) >= 0 {
			t.Fatalf("public input %x not below 2^252", p)
		}
		if want := new(big.Int).Mod(new(big.Int).SetBytes(h[:]), limit); p.Cmp(want) != 0 {
			t.Fatalf("public input %x is not the statement's low 252 bits %x", p, want)
		}
	}
}

func TestAccumulateRefusesGapsAndReorders(t *testing.T) {
	lane := NewLane(1, 2)
	var msgs []Message
	for i := 0; i < 4; i++ {
		m, _, err := lane.Send(common.Address{1}, common.Address{2}, 100_000, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	got, err := Accumulator{}.Accumulate(msgs)
	if err != nil || got != lane.Head() {
		t.Fatalf("accumulate in order: %v, %+v, want %+v", err, got, lane.Head())
	}
	for name, bad := range map[string][]Message{
		"reordered": {msgs[0], msgs[2], msgs[1], msgs[3]},
		"skipped":   {msgs[0], msgs[2], msgs[3]},
		"replayed":  {msgs[0], msgs[0]},
	} {
		if _, err := (Accumulator{}).Accumulate(bad); !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("%s: err = %v, want ErrOutOfOrder", name, err)
		}
	}
}

func TestLaneSegmentBounds(t *testing.T) {
	tests := []struct {
		name       string
		gasLimit   uint64
		payload    int
		checkpoint int // first count at which a checkpoint is stored
	}{
		{"messages", 0, 0, SegmentMaxMessages},
		{"messages of gas limits above the inline limit (deferred: they do not count)", MaxGasLimit, 0, SegmentMaxMessages},
		{"inline gas", 100_000, 0, SegmentMaxGas / 100_000},
		{"bytes", 0, MaxPayload, SegmentMaxBytes / PackedSize(MaxPayload)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lane := NewLane(1, 2)
			for i := 0; i <= tc.checkpoint; i++ {
				_, cp, err := lane.Send(common.Address{}, common.Address{}, tc.gasLimit, make([]byte, tc.payload))
				if err != nil {
					t.Fatal(err)
				}
				if cp != (i == tc.checkpoint) {
					t.Fatalf("message %d: checkpointed = %v", i, cp)
				}
				if i == tc.checkpoint-1 {
					if _, ok := lane.Checkpoints[uint64(tc.checkpoint)]; ok {
						t.Fatal("checkpoint stored before its segment closed")
					}
				}
			}
			acc, ok := lane.Checkpoints[uint64(tc.checkpoint)]
			if !ok || len(lane.Checkpoints) != 1 {
				t.Fatalf("checkpoints %v, want one at %d", lane.Checkpoints, tc.checkpoint)
			}
			// The checkpoint is the accumulator of exactly the first `checkpoint` messages.
			replay := NewLane(1, 2)
			for i := 0; i < tc.checkpoint; i++ {
				if _, _, err := replay.Send(common.Address{}, common.Address{}, tc.gasLimit, make([]byte, tc.payload)); err != nil {
					t.Fatal(err)
				}
			}
			if replay.Acc != acc {
				t.Fatal("checkpoint does not hold the accumulator at its count")
			}
			if lane.Word.SegMessages != 1 {
				t.Fatalf("new segment holds %d messages, want 1", lane.Word.SegMessages)
			}
		})
	}
}

func TestSendValidates(t *testing.T) {
	lane := NewLane(1, 2)
	if _, _, err := lane.Send(common.Address{}, common.Address{}, MaxGasLimit+1, nil); !errors.Is(err, ErrGasLimitTooHigh) {
		t.Errorf("gas limit above max: %v", err)
	}
	if _, _, err := lane.Send(common.Address{}, common.Address{}, 0, make([]byte, MaxPayload+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("payload above max: %v", err)
	}
	if _, _, err := NewLane(3, 3).Send(common.Address{}, common.Address{}, 0, nil); !errors.Is(err, ErrSameDomain) {
		t.Errorf("same domain: %v", err)
	}
	if lane.Word.Count != 0 {
		t.Errorf("refused sends changed the lane: count %d", lane.Word.Count)
	}
}

func TestLaneWordRoundTrip(t *testing.T) {
	w := LaneWord{Count: 1<<64 - 1, SegMessages: 256, SegGas: 8_000_000, SegBytes: 1 << 17}
	got, err := DecodeLaneWord(w.Encode())
	if err != nil || got != w {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	bad := w.Encode()
	bad[0] = 1
	if _, err := DecodeLaneWord(bad); !errors.Is(err, ErrBadEncoding) {
		t.Fatalf("high bits set: %v", err)
	}
}

func TestPackDeliveryRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	lane := NewLane(7, 9)
	var msgs []Message
	for i := 0; i < 50; i++ {
		m, _, err := lane.Send(randomAddress(r), randomAddress(r), r.Uint64N(MaxGasLimit), randomBytes(r, r.IntN(300)))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	packed := PackDelivery(msgs)
	got, err := UnpackDelivery(7, 9, 0, packed)
	if err != nil || len(got) != len(msgs) {
		t.Fatalf("unpack: %d messages, %v", len(got), err)
	}
	for i := range msgs {
		if got[i].Hash() != msgs[i].Hash() {
			t.Fatalf("message %d differs after a round trip", i)
		}
	}
	for _, cut := range []int{1, PackedOverhead - 1, PackedOverhead + 3} {
		if _, err := UnpackDelivery(7, 9, 0, packed[:len(packed)-cut]); !errors.Is(err, ErrBadEncoding) {
			t.Errorf("delivery cut by %d bytes: %v", cut, err)
		}
	}
}
