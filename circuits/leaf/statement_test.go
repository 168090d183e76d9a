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

func testClaims() ([]protocol.LaneClaim, []common.Hash) {
	claims := []protocol.LaneClaim{{
		SrcDomain: 1, DstDomain: 2, Outbox: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
		Committee: common.BigToHash(big.NewInt(123456789)), BlockNumber: 96,
		BlockHash: crypto.Keccak256Hash([]byte("block")), Count: 3, Acc: crypto.Keccak256Hash([]byte("acc")),
	}}
	word := protocol.LaneWord{Count: 3, SegMessages: 3, SegGas: 300_000, SegBytes: 171}.Encode()
	return claims, []common.Hash{word}
}

func TestStatementLeaf(t *testing.T) {
	claims, words := testClaims()
	ccs := circuittest.Compile(t, "statement leaf, 1 claim", field, NewStatementCircuit(1))
	solve := func(a *StatementCircuit) error { return circuittest.Solve(ccs, field, a) }
	a, pub, err := AssignStatement(claims, words)
	if err != nil {
		t.Fatal(err)
	}
	if err := solve(a); err != nil {
		t.Fatalf("valid statement: %v", err)
	}
	// The native twin: the keys are the slots the Outbox uses.
	k := pub.Claims[0]
	if k.AccountKey != crypto.Keccak256Hash(claims[0].Outbox[:]) || k.AccKey != crypto.Keccak256Hash(protocol.LaneAccSlot(2).Bytes()) {
		t.Fatal("native keys differ from the Outbox's slots")
	}
	if pub.Statement != (&protocol.Statement{Lanes: claims}).Hash() {
		t.Fatal("native statement differs from protocol.Statement.Hash")
	}

	bump := func(v frontend.Variable) frontend.Variable {
		return new(big.Int).Add(toBig(v), big.NewInt(1))
	}
	mutated := func(f func(a *StatementCircuit)) *StatementCircuit {
		a, _, err := AssignStatement(claims, words)
		if err != nil {
			t.Fatal(err)
		}
		f(a)
		return a
	}
	cases := map[string]*StatementCircuit{
		"another statement":       mutated(func(a *StatementCircuit) { a.Statement[1] = bump(a.Statement[1]) }),
		"another source domain":   mutated(func(a *StatementCircuit) { a.Claims[0].SrcDomain = 9 }),
		"another committee":       mutated(func(a *StatementCircuit) { a.Claims[0].Committee = bump(a.Claims[0].Committee) }),
		"another block number":    mutated(func(a *StatementCircuit) { a.Claims[0].BlockNumber = 97 }),
		"another block hash":      mutated(func(a *StatementCircuit) { a.Claims[0].BlockHash[0] = bump(a.Claims[0].BlockHash[0]) }),
		"another account key":     mutated(func(a *StatementCircuit) { a.Claims[0].AccountKey[1] = bump(a.Claims[0].AccountKey[1]) }),
		"the acc key as word key": mutated(func(a *StatementCircuit) { a.Claims[0].WordKey = a.Claims[0].AccKey }),
		"another acc key":         mutated(func(a *StatementCircuit) { a.Claims[0].AccKey[0] = bump(a.Claims[0].AccKey[0]) }),
		"a word of another count": mutated(func(a *StatementCircuit) { a.Claims[0].Word[1] = bump(a.Claims[0].Word[1]) }),
		"another acc":             mutated(func(a *StatementCircuit) { a.Claims[0].Acc[1] = bump(a.Claims[0].Acc[1]) }),
		"a tampered claim byte":   mutated(func(a *StatementCircuit) { a.Encoded[0][offOutbox+3].Val = 0x77 }),
	}
	for name, a := range cases {
		if solve(a) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The open segment's bits above the count are free; they do not change the statement.
	w := words[0]
	w[10] ^= 1
	if a, _, err := AssignStatement(claims, []common.Hash{w}); err != nil || solve(a) != nil {
		t.Fatalf("segment bits changed: %v", err)
	}
	w = words[0]
	w[31]++
	if _, _, err := AssignStatement(claims, []common.Hash{w}); err == nil {
		t.Fatal("a word of another count was assigned")
	}
}
