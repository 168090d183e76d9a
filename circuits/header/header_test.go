package header

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

var field = ecc.BLS12_377.ScalarField()

type mainnetHeader struct {
	Number uint64        `json:"number"`
	Fork   string        `json:"fork"`
	Hash   common.Hash   `json:"hash"`
	RLP    hexutil.Bytes `json:"rlp"`
}

func loadHeaders(t testing.TB) []mainnetHeader {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mainnet", "headers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hs []mainnetHeader
	if err := json.Unmarshal(data, &hs); err != nil {
		t.Fatal(err)
	}
	if len(hs) != 36 {
		t.Fatalf("%d headers, want 36", len(hs))
	}
	return hs
}

// The twin gives what go-ethereum decodes, for every mainnet header of every fork.
func TestDecodeNativeMatchesGoEthereum(t *testing.T) {
	for _, h := range loadHeaders(t) {
		var gh types.Header
		if err := gethrlp.DecodeBytes(h.RLP, &gh); err != nil {
			t.Fatalf("block %d: go-ethereum: %v", h.Number, err)
		}
		f, err := DecodeNative(h.RLP)
		if err != nil {
			t.Fatalf("block %d (%s): %v", h.Number, h.Fork, err)
		}
		want := Fields{Hash: h.Hash, ParentHash: gh.ParentHash, StateRoot: gh.Root, ReceiptsRoot: gh.ReceiptHash,
			Number: gh.Number.Uint64(), Timestamp: gh.Time}
		if *f != want || gh.Hash() != h.Hash || f.Number != h.Number {
			t.Fatalf("block %d: twin %+v, go-ethereum %+v", h.Number, f, want)
		}
	}
}

// headerCircuit decodes one header and asserts its fields equal the expected ones.
type headerCircuit struct {
	RLP                                       [MaxLen]uints.U8
	Length                                    frontend.Variable
	Hash, ParentHash, StateRoot, ReceiptsRoot [32]frontend.Variable
	Number, Timestamp                         frontend.Variable
}

func (c *headerCircuit) Define(api frontend.API) error {
	dec, err := Decode(api, c.RLP[:], c.Length)
	if err != nil {
		return err
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return err
	}
	for k := 0; k < 32; k++ {
		api.AssertIsEqual(bf.Value(dec.Hash[k]), c.Hash[k])
		api.AssertIsEqual(dec.ParentHash[k], c.ParentHash[k])
		api.AssertIsEqual(dec.StateRoot[k], c.StateRoot[k])
		api.AssertIsEqual(dec.ReceiptsRoot[k], c.ReceiptsRoot[k])
	}
	api.AssertIsEqual(dec.Number, c.Number)
	api.AssertIsEqual(dec.Timestamp, c.Timestamp)
	return nil
}

func hashVars(h common.Hash) (out [32]frontend.Variable) {
	for i := range out {
		out[i] = h[i]
	}
	return out
}

// assignment puts enc (any bytes, up to MaxLen) and the expected fields in the circuit.
func assignment(enc []byte, length int, f Fields) *headerCircuit {
	a := &headerCircuit{Length: length, Hash: hashVars(f.Hash), ParentHash: hashVars(f.ParentHash),
		StateRoot: hashVars(f.StateRoot), ReceiptsRoot: hashVars(f.ReceiptsRoot), Number: f.Number, Timestamp: f.Timestamp}
	for i := range a.RLP {
		a.RLP[i] = uints.NewU8(0)
		if i < len(enc) {
			a.RLP[i] = uints.NewU8(enc[i])
		}
	}
	return a
}

func compileHeader(t *testing.T) func(*headerCircuit) error {
	ccs := circuittest.Compile(t, "header", field, &headerCircuit{})
	return func(a *headerCircuit) error { return circuittest.Solve(ccs, field, a) }
}

func TestGadgetOnEveryMainnetHeader(t *testing.T) {
	solve := compileHeader(t)
	for _, h := range loadHeaders(t) {
		f, err := DecodeNative(h.RLP)
		if err != nil {
			t.Fatal(err)
		}
		if err := solve(assignment(h.RLP, len(h.RLP), *f)); err != nil {
			t.Fatalf("block %d (%s, %d bytes): %v", h.Number, h.Fork, len(h.RLP), err)
		}
	}
}

// reencode rebuilds a header's RLP list from its items, with item i replaced by repl.
func reencode(t *testing.T, enc []byte, i int, repl []byte) []byte {
	t.Helper()
	_, items, err := rlp.DecodeList(enc, 0)
	if err != nil {
		t.Fatal(err)
	}
	var payload []byte
	for j, it := range items {
		if j == i {
			payload = append(payload, repl...)
		} else {
			payload = append(payload, enc[it.Offset:it.End]...)
		}
	}
	n := len(payload)
	return append([]byte{0xf9, byte(n >> 8), byte(n)}, payload...)
}

func TestGadgetRefuses(t *testing.T) {
	solve := compileHeader(t)
	hs := loadHeaders(t)
	for _, h := range []mainnetHeader{hs[0], hs[len(hs)-1]} { // pre-London and Prague
		f, err := DecodeNative(h.RLP)
		if err != nil {
			t.Fatal(err)
		}
		n := len(h.RLP)
		cases := map[string]*headerCircuit{}
		for _, pos := range []int{0, 2, 4, 40, 95, 300, n / 2, n - 1} {
			enc := append([]byte(nil), h.RLP...)
			enc[pos] ^= 0x01
			cases[fmt.Sprintf("flipped byte %d", pos)] = assignment(enc, n, *f)
		}
		cases["length one short"] = assignment(h.RLP, n-1, *f)
		cases["length one long"] = assignment(append(append([]byte(nil), h.RLP...), 0), n+1, *f)
		wrong := *f
		wrong.Hash[7] ^= 1
		cases["wrong hash"] = assignment(h.RLP, n, wrong)
		wrong = *f
		wrong.StateRoot[0] ^= 1
		cases["wrong stateRoot"] = assignment(h.RLP, n, wrong)
		wrong = *f
		wrong.Number++
		cases["wrong number"] = assignment(h.RLP, n, wrong)

		// Non-canonical RLP whose hash is made to match: only the RLP rules can refuse it.
		_, origItems, err := rlp.DecodeList(h.RLP, 0)
		if err != nil {
			t.Fatal(err)
		}
		leadingZero := append([]byte{0}, new(big.Int).SetUint64(f.Number).Bytes()...)
		nonCanonical := []struct {
			name  string
			field int
			item  []byte
		}{
			{"number with a leading zero", fieldNumber, append([]byte{0x80 + byte(len(leadingZero))}, leadingZero...)},
			{"number 5 wrapped as a one-byte string", fieldNumber, []byte{0x81, 0x05}},
			{"timestamp in long form", fieldTimestamp, append([]byte{0xb8, 0x04}, uint32Bytes(uint32(f.Timestamp))...)},
			{"stateRoot as a list", fieldStateRoot, append([]byte{0xe0}, f.StateRoot[:]...)},
			{"parentHash one byte short", fieldParentHash, append([]byte{0x9f}, f.ParentHash[1:]...)},
			{"receiptsRoot one byte long", fieldReceiptsRoot, append(append([]byte{0xa1}, f.ReceiptsRoot[:]...), 0)},
		}
		for _, nc := range nonCanonical {
			enc := reencode(t, h.RLP, nc.field, nc.item)
			name := nc.name
			if _, err := DecodeNative(enc); err == nil {
				t.Fatalf("%s: the twin accepts it", name)
			}
			// Expect what the gadget would read were the rule missing, so that only the
			// rule can refuse it.
			g := *f
			g.Hash = crypto.Keccak256Hash(enc)
			start := origItems[nc.field].Offset + headerLen(nc.item[0]) // the items before it do not move
			switch nc.field {
			case fieldNumber:
				g.Number = new(big.Int).SetBytes(enc[start : origItems[nc.field].Offset+len(nc.item)]).Uint64()
			case fieldParentHash:
				g.ParentHash = common.BytesToHash(enc[start : start+32])
			}
			cases[name] = assignment(enc, len(enc), g)
		}
		for name, a := range cases {
			if solve(a) == nil {
				t.Errorf("block %d: %s: the gadget accepts it", h.Number, name)
			}
		}
	}
}

// headerLen is the size of an RLP prefix starting with byte b (long forms of one length byte).
func headerLen(b byte) int {
	switch {
	case b < 0x80:
		return 0
	case b&0x3f >= 0x38:
		return 1 + int(b&0x07) + 1
	default:
		return 1
	}
}

func uint32Bytes(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// laxerInGoEthereum are the refused headers that go-ethereum's RLP decoder takes: extraData
// is bounded by consensus (params.MaximumExtraDataSize), difficulty is a big.Int there, and
// its later fields are optional one by one.
var laxerInGoEthereum = map[string]bool{
	"extraData of 33 bytes": true, "difficulty of 33 bytes": true, "18 fields": true, "19 fields": true, "22 fields": true,
}

// relist rebuilds a header's RLP list from items.
func relist(items [][]byte) []byte {
	var payload []byte
	for _, it := range items {
		payload = append(payload, it...)
	}
	n := len(payload)
	return append([]byte{0xf9, byte(n >> 8), byte(n)}, payload...)
}

// Every field of the header is of its kind and size, as go-ethereum decodes it, and the field
// count is some fork's: the twin and the gadget refuse a string re-encoded as a list, an
// integer or a fixed-size string of another size, and a count no fork has. Before, each of
// these passed the gadget (the keccak binds the bytes to a signed hash, so none was forgeable,
// but a changed length prefix shifts the boundaries of every later field).
func TestHardeningHeaderFieldsExact(t *testing.T) {
	solve := compileHeader(t)
	hs := loadHeaders(t)
	for _, h := range []mainnetHeader{hs[0], hs[len(hs)-1]} { // pre-London and Prague
		t.Run(h.Fork, func(t *testing.T) {
			f, err := DecodeNative(h.RLP)
			if err != nil {
				t.Fatal(err)
			}
			_, its, err := rlp.DecodeList(h.RLP, 0)
			if err != nil {
				t.Fatal(err)
			}
			items := make([][]byte, len(its))
			for i, it := range its {
				items[i] = h.RLP[it.Offset:it.End]
			}
			with := func(i int, item []byte) []byte {
				c := append([][]byte(nil), items...)
				c[i] = item
				return relist(c)
			}
			wrapped := func(item []byte) []byte { // item as the one element of a list
				if len(item) < 56 {
					return append([]byte{0xc0 + byte(len(item))}, item...)
				}
				return append([]byte{0xf9, byte(len(item) >> 8), byte(len(item))}, item...)
			}
			cases := map[string][]byte{}
			for _, fi := range []int{fieldCoinbase, fieldTxRoot, fieldBloom, fieldDifficulty, fieldGasUsed, fieldExtra, fieldNonce} {
				cases[schema[fi].name+" (a string) as a list"] = with(fi, wrapped(items[fi]))
			}
			cases["gasUsed of 9 bytes"] = with(fieldGasUsed, []byte{0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0})
			cases["difficulty with a leading zero"] = with(fieldDifficulty, []byte{0x82, 0, 1})
			cases["difficulty of 33 bytes"] = with(fieldDifficulty, append([]byte{0xa1, 1}, make([]byte, 32)...))
			cases["nonce of 7 bytes"] = with(fieldNonce, append([]byte{0x87}, make([]byte, 7)...))
			cases["miner of 21 bytes"] = with(fieldCoinbase, append([]byte{0x95}, make([]byte, 21)...))
			cases["extraData of 33 bytes"] = with(fieldExtra, append([]byte{0xa1}, make([]byte, 33)...))
			hash := append([]byte{0xa0}, make([]byte, 32)...)
			if len(items) == 21 { // Prague: counts no fork has, around it
				cases["18 fields"] = relist(items[:18])
				cases["19 fields"] = relist(items[:19])
				cases["22 fields"] = relist(append(append([][]byte(nil), items...), hash))
				cases["24 fields"] = relist(append(append([][]byte(nil), items...), hash, []byte{0x05}, []byte{0x05}))
			}
			for name, enc := range cases {
				t.Run(name, func(t *testing.T) {
					if _, err := DecodeNative(enc); err == nil {
						t.Error("the twin accepts it")
					}
					// go-ethereum's decoder refuses the same, but for what consensus, not RLP,
					// bounds (extraData), integers it holds as big.Int, and its optional fields.
					var gh types.Header
					gethAccepts := gethrlp.DecodeBytes(enc, &gh) == nil
					if want := laxerInGoEthereum[name]; gethAccepts != want {
						t.Errorf("go-ethereum accepts it: %v, want %v", gethAccepts, want)
					}
					// The gadget, expecting what it would read were the rule missing.
					g := *f
					g.Hash = crypto.Keccak256Hash(enc)
					if solve(assignment(enc, len(enc), g)) == nil {
						t.Error("the gadget accepts it")
					}
				})
			}
			if len(items) == 21 {
				t.Run("Amsterdam's 23 fields", func(t *testing.T) {
					enc := relist(append(append([][]byte(nil), items...), hash, []byte{0x05}))
					var gh types.Header
					if err := gethrlp.DecodeBytes(enc, &gh); err != nil || gh.SlotNumber == nil || *gh.SlotNumber != 5 {
						t.Fatalf("go-ethereum: %v", err)
					}
					got, err := DecodeNative(enc)
					if err != nil {
						t.Fatal(err)
					}
					if got.Hash != gh.Hash() {
						t.Fatal("the twin's hash is not go-ethereum's")
					}
					if err := solve(assignment(enc, len(enc), *got)); err != nil {
						t.Fatalf("the gadget refuses it: %v", err)
					}
				})
			}
		})
	}
}
