package receipt

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// rawList is the RLP list of raw items.
func rawList(t *testing.T, items ...[]byte) []byte {
	t.Helper()
	raws := make([]gethrlp.RawValue, len(items))
	for i, it := range items {
		raws[i] = it
	}
	enc, err := gethrlp.EncodeToBytes(raws)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func rlpOf(t *testing.T, v any) []byte {
	t.Helper()
	enc, err := gethrlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// receiptParts are a receipt's encoding in pieces, to re-encode with one piece changed.
type receiptParts struct {
	typ                byte // 0: legacy
	status, gas, bloom []byte
	logs               [][]byte
	addr, topics, data [][]byte // of each log
}

func partsOf(t *testing.T, r *types.Receipt) receiptParts {
	p := receiptParts{typ: r.Type, status: rlpOf(t, []byte{1}), gas: rlpOf(t, r.CumulativeGasUsed), bloom: rlpOf(t, r.Bloom[:])}
	if r.Status == types.ReceiptStatusFailed {
		p.status = rlpOf(t, []byte{})
	}
	for _, l := range r.Logs {
		p.addr = append(p.addr, rlpOf(t, l.Address))
		p.topics = append(p.topics, rlpOf(t, l.Topics))
		p.data = append(p.data, rlpOf(t, l.Data))
	}
	return p
}

func (p receiptParts) encode(t *testing.T) []byte {
	logs := p.logs
	if logs == nil {
		for i := range p.addr {
			logs = append(logs, rawList(t, p.addr[i], p.topics[i], p.data[i]))
		}
	}
	enc := rawList(t, p.status, p.gas, p.bloom, rawList(t, logs...))
	if p.typ != 0 {
		enc = append([]byte{p.typ}, enc...)
	}
	return enc
}

// A receipt is checked whole, as go-ethereum decodes it, whichever log is read: the twin and
// the gadget refuse, when reading log 0, a receipt whose other log or own fields are
// malformed, a status go-ethereum does not know, an unknown type. Before, only the log read
// and the list's shape were checked.
func TestHardeningReceiptDecodedWhole(t *testing.T) {
	ccs := circuittest.Compile(t, "receipt log, 2048-byte receipts", field, &logCircuit{})
	solve := func(a *logCircuit) error { return circuittest.Solve(ccs, field, a) }
	var r *types.Receipt
	for _, c := range blockReceipts(t) {
		if len(c.Logs) >= 2 && len(c.Logs) < 4 && len(c.Logs[0].Data) <= testMaxData && len(encode(t, c)) < testCapacity-200 {
			r = c
			break
		}
	}
	if r == nil {
		t.Fatal("no receipt of 2 or 3 logs in the sample")
	}
	base := partsOf(t, r)
	if enc := base.encode(t); !bytes.Equal(enc, encode(t, r)) {
		t.Fatal("the re-encoding is not go-ethereum's")
	}
	topic := rlpOf(t, r.Logs[0].Topics[0])
	cases := map[string]receiptParts{}
	mut := func(name string, f func(p *receiptParts)) {
		p := base
		p.addr = append([][]byte(nil), base.addr...)
		p.topics = append([][]byte(nil), base.topics...)
		p.data = append([][]byte(nil), base.data...)
		f(&p)
		cases[name] = p
	}
	mut("log 1's emitter of 21 bytes", func(p *receiptParts) { p.addr[1] = rlpOf(t, make([]byte, 21)) })
	mut("log 1's emitter as a list", func(p *receiptParts) { p.addr[1] = rawList(t, p.addr[1]) })
	mut("log 1's topic as a list", func(p *receiptParts) { p.topics[1] = rawList(t, rawList(t, topic)) })
	mut("log 1's topic of 31 bytes", func(p *receiptParts) { p.topics[1] = rawList(t, rlpOf(t, make([]byte, 31))) })
	mut("log 1's data as a list", func(p *receiptParts) { p.data[1] = rawList(t, p.data[1]) })
	mut("log 1 with a fourth field", func(p *receiptParts) {
		p.logs = [][]byte{rawList(t, p.addr[0], p.topics[0], p.data[0]), rawList(t, p.addr[1], p.topics[1], p.data[1], p.data[1])}
	})
	mut("log 1 of two fields", func(p *receiptParts) {
		p.logs = [][]byte{rawList(t, p.addr[0], p.topics[0], p.data[0]), rawList(t, p.addr[1], p.topics[1])}
	})
	mut("log 1 as a string", func(p *receiptParts) {
		p.logs = [][]byte{rawList(t, p.addr[0], p.topics[0], p.data[0]), p.data[1]}
	})
	mut("log 1 of five topics", func(p *receiptParts) { p.topics[1] = rawList(t, topic, topic, topic, topic, topic) })
	mut("status 2", func(p *receiptParts) { p.status = []byte{0x02} })
	mut("status 0x0001", func(p *receiptParts) { p.status = rlpOf(t, []byte{0, 1}) })
	mut("cumulative gas with a leading zero", func(p *receiptParts) { p.gas = []byte{0x83, 0, 1, 2} })
	mut("cumulative gas of 9 bytes", func(p *receiptParts) { p.gas = rlpOf(t, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}) })
	mut("bloom of 255 bytes", func(p *receiptParts) { p.bloom = rlpOf(t, make([]byte, 255)) })
	mut("type 5", func(p *receiptParts) { p.typ = 5 })
	mut("33 logs", func(p *receiptParts) {
		for len(p.addr) < MaxLogs+1 {
			p.addr, p.topics, p.data = append(p.addr, p.addr[1]), append(p.topics, rlpOf(t, []any{})), append(p.data, rlpOf(t, []byte{}))
		}
	})
	// go-ethereum's decoder takes these; Ethereum's EVM never emits them, and the gadget walks
	// at most MaxLogs logs.
	laxer := map[string]bool{"log 1 of five topics": true, "33 logs": true}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			enc := p.encode(t)
			if _, err := DecodeLogNative(enc, 0); err == nil {
				t.Error("the twin accepts it")
			}
			var gr types.Receipt
			if gethAccepts := gr.UnmarshalBinary(enc) == nil; gethAccepts != laxer[name] {
				t.Errorf("go-ethereum accepts it: %v, want %v", gethAccepts, laxer[name])
			}
			if len(enc) > testCapacity {
				t.Skipf("%d bytes: past the test circuit's capacity", len(enc))
			}
			if solve(logAssignment(enc, 0, r.Logs[0])) == nil {
				t.Error("the gadget accepts it")
			}
		})
	}
	// The base encoding passes all three, so each refusal above is its mutation's.
	enc := base.encode(t)
	if _, err := DecodeLogNative(enc, 1); err != nil {
		t.Fatal(err)
	}
	if err := solve(logAssignment(enc, 0, r.Logs[0])); err != nil {
		t.Fatalf("the gadget refuses the receipt: %v", err)
	}
}

// The twin (DecodeLogsNative, of any number of logs; DecodeLogNative adds the gadget's
// MaxLogs) never accepts a receipt go-ethereum refuses and gives go-ethereum's logs; it
// accepts every receipt go-ethereum accepts within its bound (MaxTopics topics a log). The seed corpus (every receipt of the mainnet block) runs with go
// test; go test -fuzz explores from it.
func FuzzHardeningReceiptTwinAgainstGoEthereum(f *testing.F) {
	for _, r := range blockReceipts(f) {
		enc, err := r.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, enc []byte) {
		logs, _, err := DecodeLogsNative(enc)
		var gr types.Receipt
		gethErr := gr.UnmarshalBinary(enc)
		if err == nil {
			if gethErr != nil {
				t.Fatalf("the twin accepts what go-ethereum refuses: %v", gethErr)
			}
			if len(logs) != len(gr.Logs) {
				t.Fatalf("%d logs, go-ethereum %d", len(logs), len(gr.Logs))
			}
			for i, l := range logs {
				g := gr.Logs[i]
				if l.Address != g.Address || !bytes.Equal(l.Data, g.Data) || fmt.Sprint(l.Topics) != fmt.Sprint(g.Topics) {
					t.Fatalf("log %d: twin %+v, go-ethereum %+v", i, l, g)
				}
			}
			return
		}
		if gethErr == nil && !tooManyTopics(gr.Logs) {
			t.Fatalf("go-ethereum accepts a receipt within the twin's bounds; the twin: %v", err)
		}
	})
}

func tooManyTopics(logs []*types.Log) bool {
	for _, l := range logs {
		if len(l.Topics) > MaxTopics {
			return true
		}
	}
	return false
}
