package rlp

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
	gethrlp "github.com/ethereum/go-ethereum/rlp"
)

const testN = 64

var field = ecc.BLS12_377.ScalarField()

// itemCircuit decodes the item at offset 0 of Data[:Length]; with check set it also asserts
// the decoding equals the expected fields.
type itemCircuit struct {
	Data                                   [testN]frontend.Variable
	Length                                 frontend.Variable
	IsList, PayloadOffset, PayloadLen, End frontend.Variable
	check                                  bool
}

func (c *itemCircuit) Define(api frontend.API) error {
	for _, b := range c.Data {
		api.ToBinary(b, 8)
	}
	d := New(api, c.Data[:])
	it := d.Item(0, 1)
	d.cmp.AssertIsLessEq(it.End, c.Length)
	if c.check {
		api.AssertIsEqual(it.IsList, c.IsList)
		api.AssertIsEqual(it.PayloadOffset, c.PayloadOffset)
		api.AssertIsEqual(it.PayloadLen, c.PayloadLen)
		api.AssertIsEqual(it.End, c.End)
	}
	return nil
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

func itemAssignment(in []byte, it Item) *itemCircuit {
	a := &itemCircuit{Length: len(in), IsList: bit(it.IsList), PayloadOffset: it.PayloadOffset, PayloadLen: it.PayloadLen, End: it.End}
	for i := range a.Data {
		a.Data[i] = 0
		if i < len(in) {
			a.Data[i] = in[i]
		}
	}
	return a
}

// sampleInputs gives canonical encodings, crafted edge cases, random bytes and mutations.
func sampleInputs(r *rand.Rand, n int) [][]byte {
	var out [][]byte
	for _, c := range [][]byte{{0x00}, {0x7f}, {0x80}, {0x81, 0x7f}, {0x81, 0x80}, {0xb7}, {0xb8, 0x37}, {0xb8, 0x38},
		{0xb8, 0x00}, {0xb9, 0x00, 0x38}, {0xc0}, {0xc1, 0x01}, {0xf8, 0x37}, {0xf8, 0x38}, {0xba, 1, 1, 1}, {0x81}} {
		out = append(out, append(c, make([]byte, 0x38)...)[:min(testN, len(c)+0x38)])
	}
	for len(out) < n {
		var b []byte
		switch r.IntN(3) {
		case 0:
			s := make([]byte, r.IntN(60))
			for j := range s {
				s[j] = byte(r.Uint32())
			}
			b, _ = gethrlp.EncodeToBytes(s)
		case 1:
			b, _ = gethrlp.EncodeToBytes([]any{r.Uint64() >> r.UintN(64), []byte("isthmus"), []any{}})
		default:
			b = make([]byte, 1+r.IntN(testN-1))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		if len(b) > testN {
			continue
		}
		switch r.IntN(3) {
		case 0: // header bytes: where non-canonical sizes live
			b[r.IntN(min(3, len(b)))] ^= byte(1 + r.IntN(255))
		case 1:
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		}
		out = append(out, b)
	}
	return out
}

// The circuit accepts exactly what the twin accepts, with the same decoding.
func TestItemCircuitMatchesTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	valid, invalid := 0, 0
	for _, in := range sampleInputs(r, 600) {
		it, err := DecodeItem(in, 0)
		if errors.Is(err, ErrTooLong) {
			continue
		}
		a := itemAssignment(in, it)
		if err != nil {
			invalid++
			if test.IsSolved(&itemCircuit{}, a, field) == nil {
				t.Fatalf("%x: twin refuses (%v) but the circuit accepts", in, err)
			}
			continue
		}
		valid++
		if err := test.IsSolved(&itemCircuit{check: true}, a, field); err != nil {
			t.Fatalf("%x: twin decodes %+v but the circuit fails: %v", in, it, err)
		}
		a.PayloadLen = it.PayloadLen + 1
		a.End = it.End + 1
		if test.IsSolved(&itemCircuit{check: true}, a, field) == nil {
			t.Fatalf("%x: the circuit accepts a wrong payload length", in)
		}
	}
	if valid < 100 || invalid < 50 {
		t.Fatalf("weak sample: %d valid, %d invalid", valid, invalid)
	}
}

const testMaxItems = 6

// listCircuit decodes the list at offset 0 filling Data[:Length] and checks its item count
// and the integer in its first item.
type listCircuit struct {
	Data   [testN]frontend.Variable
	Length frontend.Variable
	Count  frontend.Variable
	First  frontend.Variable
}

func (c *listCircuit) Define(api frontend.API) error {
	for _, b := range c.Data {
		api.ToBinary(b, 8)
	}
	d := New(api, c.Data[:])
	list, items, count := d.List(0, testMaxItems)
	api.AssertIsEqual(list.End, c.Length)
	api.AssertIsEqual(count, c.Count)
	api.AssertIsEqual(d.Uint(items[0], 8, 1), c.First)
	return nil
}

func TestListCircuitMatchesTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	accepted := 0
	for i := 0; i < 150; i++ {
		n := 1 + r.IntN(testMaxItems+1) // sometimes one item too many
		fields := []any{r.Uint64() >> r.UintN(64)}
		for len(fields) < n {
			fields = append(fields, make([]byte, r.IntN(8)))
		}
		in, err := gethrlp.EncodeToBytes(fields)
		if err != nil || len(in) > testN {
			continue
		}
		if r.IntN(3) == 0 {
			in[r.IntN(len(in))] ^= byte(1 + r.IntN(255))
		}
		list, items, lerr := DecodeList(in, 0)
		var first uint64
		if lerr == nil && len(items) > 0 {
			first, lerr = Uint(in, items[0], 8)
		}
		ok := lerr == nil && len(items) <= testMaxItems && len(items) > 0 && list.End == len(in)
		a := &listCircuit{Length: len(in), Count: len(items), First: first}
		for j := range a.Data {
			a.Data[j] = 0
			if j < len(in) {
				a.Data[j] = in[j]
			}
		}
		err = test.IsSolved(&listCircuit{}, a, field)
		if ok != (err == nil) {
			t.Fatalf("%x: twin ok=%v (%v, %d items), circuit err %v", in, ok, lerr, len(items), err)
		}
		if ok {
			accepted++
		}
	}
	if accepted < 40 {
		t.Fatalf("only %d lists accepted: weak sample", accepted)
	}
}
