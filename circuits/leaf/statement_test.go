package leaf

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// testStatement is a statement of one lane head and one rotation, with the head's lane word.
func testStatement() (protocol.Statement, []common.Hash) {
	s := protocol.Statement{
		Lanes: []protocol.LaneClaim{{
			Kind: protocol.KindLaneHead, SrcDomain: 1, DstDomain: 2, Outbox: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
			Committee: common.BigToHash(big.NewInt(123456789)), BlockNumber: 96,
			BlockHash: crypto.Keccak256Hash([]byte("block")), Count: 3, Acc: crypto.Keccak256Hash([]byte("acc")),
		}},
		Rotations: []protocol.RotationClaim{{SrcDomain: 1, Committee: common.BigToHash(big.NewInt(123456789)), NextEpoch: 1, NextCommittee: common.HexToHash("0x77")}},
	}
	word := protocol.LaneWord{Count: 3, SegMessages: 3, SegGas: 300_000, SegBytes: 171}.Encode()
	return s, []common.Hash{word}
}

// asCheckpoint is s with its lane claim a checkpoint of the same count and accumulator.
func asCheckpoint(s protocol.Statement) (protocol.Statement, []common.Hash) {
	c := s
	c.Lanes = []protocol.LaneClaim{s.Lanes[0]}
	c.Lanes[0].Kind = protocol.KindLaneCheckpoint
	return c, []common.Hash{c.Lanes[0].Acc}
}

func statementCCS(t *testing.T) func(a *StatementCircuit) error {
	ccs := circuittest.Compile(t, "statement leaf, 1 lane claim, 1 rotation", field, NewStatementCircuit(1, 0, 1))
	return func(a *StatementCircuit) error { return circuittest.Solve(ccs, field, a) }
}

func TestStatementLeaf(t *testing.T) {
	stmt, words := testStatement()
	solve := statementCCS(t)
	assign := func(s protocol.Statement, words []common.Hash) (*StatementCircuit, *StatementPublic) {
		t.Helper()
		a, pub, err := AssignStatement(s, words, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		return a, pub
	}
	a, pub := assign(stmt, words)
	if err := solve(a); err != nil {
		t.Fatalf("valid statement: %v", err)
	}
	// The native twin: the keys are the slots the Outbox uses.
	k := pub.Claims[0]
	if k.AccountKey != crypto.Keccak256Hash(stmt.Lanes[0].Outbox[:]) || k.AccKey != crypto.Keccak256Hash(protocol.LaneAccSlot(2).Bytes()) ||
		k.WordKey != crypto.Keccak256Hash(protocol.LaneWordSlot(2).Bytes()) {
		t.Fatal("native keys differ from the Outbox's slots")
	}
	if pub.Statement != stmt.Hash() || pub.Rotations[0] != stmt.Rotations[0].Hash() {
		t.Fatal("native statement differs from protocol.Statement.Hash")
	}
	// Without the rotation: its slot is unused (hash zero), and the statement has one claim.
	noRotation := protocol.Statement{Lanes: stmt.Lanes}
	if a, pub := assign(noRotation, words); pub.Rotations[0] != (common.Hash{}) || solve(a) != nil {
		t.Fatal("a statement without a rotation is refused")
	}

	bump := func(v frontend.Variable) frontend.Variable {
		return new(big.Int).Add(toBig(v), big.NewInt(1))
	}
	mutated := func(s protocol.Statement, words []common.Hash, f func(a *StatementCircuit)) *StatementCircuit {
		a, _ := assign(s, words)
		f(a)
		return a
	}
	cp, cpWords := asCheckpoint(stmt)
	headKeys := KeysOf(stmt.Lanes[0], words[0])
	otherCount := cp.Lanes[0]
	otherCount.Count++
	otherKeys := KeysOf(otherCount, cpWords[0])
	cases := map[string]*StatementCircuit{
		"another statement":       mutated(stmt, words, func(a *StatementCircuit) { a.Statement[1] = bump(a.Statement[1]) }),
		"another source domain":   mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].SrcDomain = 9 }),
		"another committee":       mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].Committee = bump(a.Claims[0].Committee) }),
		"another block number":    mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].BlockNumber = 97 }),
		"another block hash":      mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].BlockHash[0] = bump(a.Claims[0].BlockHash[0]) }),
		"another account key":     mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].AccountKey[1] = bump(a.Claims[0].AccountKey[1]) }),
		"the acc key as word key": mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].WordKey = a.Claims[0].AccKey }),
		"another acc key":         mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].AccKey[0] = bump(a.Claims[0].AccKey[0]) }),
		"a word of another count": mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].Word[1] = bump(a.Claims[0].Word[1]) }),
		"another acc":             mutated(stmt, words, func(a *StatementCircuit) { a.Claims[0].Acc[1] = bump(a.Claims[0].Acc[1]) }),
		"a tampered claim byte":   mutated(stmt, words, func(a *StatementCircuit) { a.Encoded[0][offOutbox+3].Val = 0x77 }),
		"a kind of no claim":      mutated(stmt, words, func(a *StatementCircuit) { a.Encoded[0][offKind].Val = 3 }),
		"another rotation":        mutated(stmt, words, func(a *StatementCircuit) { a.Rotations[0][1] = bump(a.Rotations[0][1]) }),
		"the rotation left out": mutated(stmt, words, func(a *StatementCircuit) {
			a.Rotations[0] = [2]frontend.Variable{0, 0}
			for i := range a.RotationHashes[0] {
				a.RotationHashes[0][i].Val = 0
			}
		}),
		// A checkpoint claim must open its own count's slot, and a checkpoint cannot pass
		// for a head nor a head for a checkpoint: the keys follow the kind.
		"a checkpoint of another count's slot": mutated(cp, cpWords, func(a *StatementCircuit) {
			a.Claims[0].WordKey, a.Claims[0].AccKey = halves(otherKeys.WordKey), halves(otherKeys.AccKey)
		}),
		"a head presented as a checkpoint": mutated(cp, cpWords, func(a *StatementCircuit) {
			a.Claims[0].WordKey, a.Claims[0].AccKey, a.Claims[0].Word = halves(headKeys.WordKey), halves(headKeys.AccKey), halves(headKeys.Word)
		}),
		"a checkpoint presented as a head": mutated(stmt, words, func(a *StatementCircuit) {
			k := KeysOf(cp.Lanes[0], cpWords[0])
			a.Claims[0].WordKey, a.Claims[0].AccKey, a.Claims[0].Word = halves(k.WordKey), halves(k.AccKey), halves(k.Word)
		}),
	}
	for name, a := range cases {
		if solve(a) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A checkpoint claim: both storage proofs open its slot, the lane's base + 2 + count.
	a, pub = assign(cp, cpWords)
	if err := solve(a); err != nil {
		t.Fatalf("valid checkpoint: %v", err)
	}
	if slot := crypto.Keccak256Hash(protocol.CheckpointSlot(2, 3).Bytes()); pub.Claims[0].AccKey != slot || pub.Claims[0].WordKey != slot {
		t.Fatal("a checkpoint's keys are not its slot's")
	}
	// The open segment's bits above the count are free; they do not change the statement.
	w := words[0]
	w[10] ^= 1
	if a, _, err := AssignStatement(stmt, []common.Hash{w}, 0, 1); err != nil || solve(a) != nil {
		t.Fatalf("segment bits changed: %v", err)
	}
	w = words[0]
	w[31]++
	if _, _, err := AssignStatement(stmt, []common.Hash{w}, 0, 1); err == nil {
		t.Fatal("a word of another count was assigned")
	}
	if _, _, err := AssignStatement(cp, words, 0, 1); err == nil {
		t.Fatal("a checkpoint whose value is not its accumulator was assigned")
	}
}

// The slot addition carries across bytes, and wraps modulo 2^256, as the EVM's does.
func TestStatementCheckpointSlotCarries(t *testing.T) {
	solve := statementCCS(t)
	stmt, _ := testStatement()
	for _, count := range []uint64{0, 255, 1 << 40, 1<<64 - 1} {
		s, words := asCheckpoint(stmt)
		s.Lanes[0].Count = count
		a, pub, err := AssignStatement(s, words, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := solve(a); err != nil {
			t.Fatalf("checkpoint at %d: %v", count, err)
		}
		if pub.Claims[0].AccKey != crypto.Keccak256Hash(protocol.CheckpointSlot(2, count).Bytes()) {
			t.Fatalf("checkpoint at %d: key differs", count)
		}
	}
}

// receiptStatement is testStatement with a lane by receipt of the same lane (count 5) and an
// ERC-20 Transfer event after its head.
func receiptStatement() (protocol.Statement, []common.Hash) {
	s, words := testStatement()
	lane := s.Lanes[0]
	lane.Kind, lane.Count, lane.Acc = protocol.KindLaneReceipt, 5, crypto.Keccak256Hash([]byte("acc 5"))
	s.Lanes = append(s.Lanes, lane)
	s.Events = []protocol.EventClaim{{
		SrcDomain: 1, Committee: lane.Committee, BlockNumber: 95, BlockHash: crypto.Keccak256Hash([]byte("block 95")),
		TxIndex: 130, LogIndex: 2, Emitter: common.HexToAddress("0x7070707070707070707070707070707070707070"),
		Topics:   []common.Hash{crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")), {1}, {2}},
		DataHash: crypto.Keccak256Hash(common.LeftPadBytes([]byte{100}, 32)),
	}}
	return s, words
}

// Claims proven by receipt: in receipt slots, used ones first, their hashes closed up against
// the rotations' in the statement; each field of the log they expose is the claim's.
func TestStatementLeafReceiptSlots(t *testing.T) {
	ccs := circuittest.Compile(t, "statement leaf, 1 lane claim, 2 receipt claims, 1 rotation", field, NewStatementCircuit(1, 2, 1))
	solve := func(a *StatementCircuit) error { return circuittest.Solve(ccs, field, a) }
	stmt, words := receiptStatement()
	assign := func(s protocol.Statement) *StatementCircuit {
		t.Helper()
		a, pub, err := AssignStatement(s, words, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Statement != s.Hash() {
			t.Fatal("the twin's statement is not protocol.Statement.Hash")
		}
		return a
	}
	_, pub, err := AssignStatement(stmt, words, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	lane, ev := pub.Receipts[0], pub.Receipts[1]
	if lane.Emitter != stmt.Lanes[1].Outbox || lane.Topics[0] != protocol.MessageSentTopic || lane.Topics[2] != common.BigToHash(big.NewInt(4)) ||
		lane.Topics[3] != stmt.Lanes[1].Acc || ev.Emitter != stmt.Events[0].Emitter || ev.TxIndex != 130 || ev.DataHash != stmt.Events[0].DataHash {
		t.Fatalf("the twin's logs: %+v, %+v", lane, ev)
	}
	for name, s := range map[string]protocol.Statement{
		"a lane by receipt and an event": stmt,
		"one receipt slot used":          {Lanes: stmt.Lanes, Rotations: stmt.Rotations},
		"no receipt slot used":           {Lanes: stmt.Lanes[:1], Rotations: stmt.Rotations},
		"no rotation":                    {Lanes: stmt.Lanes, Events: stmt.Events},
		"an event of no topic":           {Lanes: stmt.Lanes[:1], Events: []protocol.EventClaim{{SrcDomain: 1, BlockNumber: 3, TxIndex: 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := solve(assign(s)); err != nil {
				t.Fatal(err)
			}
		})
	}

	bump := func(v frontend.Variable) frontend.Variable { return new(big.Int).Add(toBig(v), big.NewInt(1)) }
	refuse := func(name string, s protocol.Statement, f func(a *StatementCircuit)) {
		t.Run(name, func(t *testing.T) {
			a := assign(s)
			f(a)
			if solve(a) == nil {
				t.Fatal("accepted")
			}
		})
	}
	refuse("another emitter of the lane", stmt, func(a *StatementCircuit) { a.Receipts[0].Emitter = bump(a.Receipts[0].Emitter) })
	refuse("another event signature", stmt, func(a *StatementCircuit) { a.Receipts[0].Topics[0][1] = bump(a.Receipts[0].Topics[0][1]) })
	refuse("another destination", stmt, func(a *StatementCircuit) { a.Receipts[0].Topics[1][1] = bump(a.Receipts[0].Topics[1][1]) })
	refuse("the count as the nonce", stmt, func(a *StatementCircuit) { a.Receipts[0].Topics[2][1] = 5 })
	refuse("another accumulator", stmt, func(a *StatementCircuit) { a.Receipts[0].Topics[3][0] = bump(a.Receipts[0].Topics[3][0]) })
	refuse("another block hash", stmt, func(a *StatementCircuit) { a.Receipts[1].BlockHash[1] = bump(a.Receipts[1].BlockHash[1]) })
	refuse("another committee", stmt, func(a *StatementCircuit) { a.Receipts[1].Committee = bump(a.Receipts[1].Committee) })
	refuse("another event topic", stmt, func(a *StatementCircuit) { a.Receipts[1].Topics[2][1] = bump(a.Receipts[1].Topics[2][1]) })
	refuse("another data hash", stmt, func(a *StatementCircuit) { a.Receipts[1].DataHash[0] = bump(a.Receipts[1].DataHash[0]) })
	refuse("another transaction index", stmt, func(a *StatementCircuit) {
		a.Receipts[1].Log = PackReceiptLog(protocol.KindEvent, 3, 131, 2)
	})
	refuse("one topic more", stmt, func(a *StatementCircuit) { a.Receipts[1].Log = PackReceiptLog(protocol.KindEvent, 4, 130, 2) })
	refuse("the event's kind as a lane's", stmt, func(a *StatementCircuit) { a.Receipts[1].Log = PackReceiptLog(protocol.KindLaneReceipt, 3, 130, 2) })
	refuse("a tampered event byte", stmt, func(a *StatementCircuit) { a.ReceiptEncoded[1][evEmitter+1].Val = 0x71 })
	refuse("an unused slot before a used one", protocol.Statement{Lanes: stmt.Lanes, Rotations: stmt.Rotations}, func(a *StatementCircuit) {
		a.Receipts[0], a.Receipts[1] = a.Receipts[1], a.Receipts[0]
		a.ReceiptEncoded[0], a.ReceiptEncoded[1] = a.ReceiptEncoded[1], a.ReceiptEncoded[0]
	})
	refuse("the receipt claim left out", stmt, func(a *StatementCircuit) {
		a.Receipts[1], a.ReceiptEncoded[1] = ReceiptClaimPublic{}, [protocol.EventClaimSize]uints.U8{}
		zero := halves(common.Hash{})
		a.Receipts[1].BlockHash, a.Receipts[1].DataHash, a.Receipts[1].Emitter, a.Receipts[1].Log = zero, zero, 0, 0
		a.Receipts[1].SrcDomain, a.Receipts[1].Committee, a.Receipts[1].BlockNumber = 0, 0, 0
		for i := range a.Receipts[1].Topics {
			a.Receipts[1].Topics[i] = zero
		}
		for i := range a.ReceiptEncoded[1] {
			a.ReceiptEncoded[1][i] = uints.NewU8(0)
		}
	})
	five := stmt
	five.Events = []protocol.EventClaim{stmt.Events[0]}
	refuse("an event of five topics", five, func(a *StatementCircuit) {
		a.ReceiptEncoded[1][evTopics] = uints.NewU8(5)
		a.Receipts[1].Log = PackReceiptLog(protocol.KindEvent, 5, 130, 2)
	})
	refuse("a lane by receipt of count 0", stmt, func(a *StatementCircuit) {
		for i := offCount; i < offAcc; i++ {
			a.ReceiptEncoded[0][i] = uints.NewU8(0)
		}
		a.Receipts[0].Topics[2] = [2]frontend.Variable{0, new(big.Int).Sub(field, big.NewInt(1))}
	})
	zeroCount := stmt
	zeroCount.Lanes = append([]protocol.LaneClaim(nil), stmt.Lanes...)
	zeroCount.Lanes[1].Count = 0
	if _, _, err := AssignStatement(zeroCount, words, 2, 1); err == nil {
		t.Error("a lane by receipt of count 0 was assigned")
	}
	if _, _, err := AssignStatement(stmt, words, 1, 1); err == nil {
		t.Error("two claims by receipt were assigned to one slot")
	}
}
