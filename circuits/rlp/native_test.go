package rlp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	gethrlp "github.com/ethereum/go-ethereum/rlp"
)

// The twin decodes exactly what go-ethereum's rlp.Split decodes, and refuses what it refuses,
// on random and on crafted inputs (bounded to lengths of length <= MaxLenOfLen).
func TestDecodeItemAgreesWithGoEthereum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var inputs [][]byte
	// Canonical encodings of strings, integers and lists.
	for i := 0; i < 300; i++ {
		s := make([]byte, r.IntN(300))
		for j := range s {
			s[j] = byte(r.Uint32())
		}
		enc, err := gethrlp.EncodeToBytes(s)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, enc)
		u, _ := gethrlp.EncodeToBytes(r.Uint64() >> r.UintN(64))
		inputs = append(inputs, u)
		l, _ := gethrlp.EncodeToBytes([]any{s[:len(s)/3], r.Uint64(), []byte{}})
		inputs = append(inputs, l)
	}
	// Every 1- to 3-byte input.
	for a := 0; a < 256; a++ {
		inputs = append(inputs, []byte{byte(a)})
		for b := 0; b < 256; b++ {
			inputs = append(inputs, []byte{byte(a), byte(b)}, []byte{byte(a), byte(b), byte(r.Uint32())})
		}
	}
	// Random bytes, and canonical encodings with one byte changed.
	for i := 0; i < 3000; i++ {
		b := make([]byte, 1+r.IntN(80))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		inputs = append(inputs, b)
		src := inputs[r.IntN(900)]
		m := append([]byte(nil), src...)
		m[r.IntN(len(m))] ^= byte(1 + r.IntN(255))
		inputs = append(inputs, m)
	}
	checked := 0
	for _, in := range inputs {
		it, err := DecodeItem(in, 0)
		if errors.Is(err, ErrTooLong) {
			continue // outside this decoder's bound by design
		}
		kind, content, rest, gerr := gethrlp.Split(in)
		if (err == nil) != (gerr == nil) {
			t.Fatalf("%x: twin err %v, go-ethereum err %v", in, err, gerr)
		}
		if err != nil {
			continue
		}
		if it.IsList != (kind == gethrlp.List) || !bytes.Equal(in[it.PayloadOffset:it.End], content) || len(in)-it.End != len(rest) {
			t.Fatalf("%x: twin %+v, go-ethereum kind %v content %x rest %x", in, it, kind, content, rest)
		}
		checked++
	}
	if checked < 1000 {
		t.Fatalf("only %d inputs decoded: the test inputs are too weak", checked)
	}
}

func TestUintAgreesWithGoEthereum(t *testing.T) {
	cases := [][]byte{{0x80}, {0x01}, {0x7f}, {0x81, 0x80}, {0x88, 1, 2, 3, 4, 5, 6, 7, 8}, {0x00}, {0x82, 0x00, 0x01}, {0x81, 0x05}, {0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	for _, in := range cases {
		var want uint64
		gerr := gethrlp.DecodeBytes(in, &want)
		it, err := DecodeItem(in, 0)
		var got uint64
		if err == nil {
			got, err = Uint(in, it, 8)
		}
		if (err == nil) != (gerr == nil) || got != want {
			t.Errorf("%x: twin (%d, %v), go-ethereum (%d, %v)", in, got, err, want, gerr)
		}
	}
}
