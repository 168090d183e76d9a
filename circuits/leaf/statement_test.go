package leaf

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"
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
	ccs := circuittest.Compile(t, "statement leaf, 1 lane claim, 1 rotation", field, NewStatementCircuit(1, 1))
	return func(a *StatementCircuit) error { return circuittest.Solve(ccs, field, a) }
}

func TestStatementLeaf(t *testing.T) {
	stmt, words := testStatement()
	solve := statementCCS(t)
	assign := func(s protocol.Statement, words []common.Hash) (*StatementCircuit, *StatementPublic) {
		t.Helper()
		a, pub, err := AssignStatement(s, words, 1)
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
	if a, _, err := AssignStatement(stmt, []common.Hash{w}, 1); err != nil || solve(a) != nil {
		t.Fatalf("segment bits changed: %v", err)
	}
	w = words[0]
	w[31]++
	if _, _, err := AssignStatement(stmt, []common.Hash{w}, 1); err == nil {
		t.Fatal("a word of another count was assigned")
	}
	if _, _, err := AssignStatement(cp, words, 1); err == nil {
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
		a, pub, err := AssignStatement(s, words, 1)
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
