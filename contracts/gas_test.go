package contracts_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Gas benchmarks (DESIGN §7) on Ethereum mainnet rules (Osaka), measured from receipts: what a
// transaction pays, including the 21,000 base and calldata. Run with
//
//	go test ./contracts -run '^$' -bench 'BenchmarkGas' -benchtime 1x

const benchPayload = 64

// sendMany sends n messages of a 64-byte payload, many per block, and mirrors them in the
// twin. It returns the gas each send used.
func (e *env) sendMany(recipient common.Address, n int) []uint64 {
	e.t.Helper()
	client, ctx := e.b.Client(), context.Background()
	nonce, err := client.PendingNonceAt(ctx, addr(e.user))
	if err != nil {
		e.t.Fatal(err)
	}
	var hashes []common.Hash
	flush := func() []uint64 {
		var gas []uint64
		for _, r := range e.mine(hashes) {
			gas = append(gas, r.GasUsed)
		}
		hashes = hashes[:0]
		return gas
	}
	var gas []uint64
	for i := 0; i < n; i++ {
		payload := bytes.Repeat([]byte{byte(len(e.sent))}, benchPayload)
		opts := bind.NewKeyedTransactor(e.user, big.NewInt(1337))
		opts.Nonce, opts.GasLimit = new(big.Int).SetUint64(nonce), 300_000
		nonce++
		tx, err := e.outbox.RawTransact(opts, e.ob.PackSend(dstDomain, recipient, 100_000, payload))
		if err != nil {
			e.t.Fatal(err)
		}
		hashes = append(hashes, tx.Hash())
		m, _, err := e.lane.Send(addr(e.user), recipient, 100_000, payload)
		if err != nil {
			e.t.Fatal(err)
		}
		e.sent = append(e.sent, m)
		if len(hashes) == 200 {
			gas = append(gas, flush()...)
		}
	}
	return append(gas, flush()...)
}

// BenchmarkGasSend reports a send of a 64-byte payload on a lane in use, amortized over one
// full segment (128 sends, of which one also stores the segment's checkpoint).
func BenchmarkGasSend(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := newEnv(b)
		gas := e.sendMany(common.Address{0xee}, 1+protocol.SegmentMaxMessages)
		var sum uint64
		for _, g := range gas[1:] {
			sum += g
		}
		b.ReportMetric(float64(sum)/float64(len(gas)-1), "gas/send")
	}
}

// BenchmarkGasDeliver reports deliver of N messages (64-byte payloads) to a no-op recipient,
// divided by N, on a domain that has delivered before.
func BenchmarkGasDeliver(b *testing.B) {
	for _, n := range []int{1, 16, 256, 1024} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				e := newEnv(b)
				noop := e.deploy(testbindings.TestNoopRecipientMetaData.Bin, nil)
				e.sendMany(noop, 1+n)
				e.prove(1, uint64(1+n))
				e.must(e.deliver(e.sent[:1]))
				r := e.must(e.deliver(e.sent[1 : 1+n]))
				b.ReportMetric(float64(r.GasUsed)/float64(n), "gas/msg")
			}
		})
	}
}

// BenchmarkGasEvent reports what each event claim adds to a batch's submitBatch: the gas of a
// batch of N+1 events less that of one, divided by N (calldata, the statement's hashing, the
// ID and its record). The verifier's cost is the batch's, once (BenchmarkGasSubmitBatch).
func BenchmarkGasEvent(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				e := newEnv(b)
				batch := func(first, k int) uint64 {
					var s protocol.Statement
					for j := range k {
						s.Events = append(s.Events, e.eventClaim(uint32(first+j)))
					}
					return e.must(e.submit(s)).GasUsed
				}
				one := batch(0, 1)
				more := batch(1, n+1)
				b.ReportMetric(float64(more-one)/float64(n), "gas/event")
			}
		})
	}
}

// BenchmarkGasHandOver reports the Inbox's side of a hand-over over several batches, with the
// TestOnlyVerifier (the verifier's cost is BenchmarkGasSubmitBatch's, once a batch), as the
// submitBatch gas of: a batch of one key run (its record), the hand-over naming 8 recorded
// runs, and a plain rotation (the difference: naming and reading the runs).
func BenchmarkGasHandOver(b *testing.B) {
	const eth = 7
	runs := make([]common.Hash, 8)
	for j := range runs {
		runs[j] = common.Hash{0x01, byte(j + 1)}
	}
	// submitted is the gas of the last of the statements submitted in order to an Inbox whose
	// domain eth is under the sync committee of period 862.
	submitted := func(b *testing.B, statements ...protocol.Statement) uint64 {
		e := newEnv(b)
		e.must(e.tx(e.owner, e.inbox, e.ib.PackAddDomain(eth, e.outbox.Address(), protocol.AdapterSyncCommittee, syncPeriod(862), 862, 0, 0)))
		var gas uint64
		for _, s := range statements {
			gas = e.must(e.submit(s)).GasUsed
		}
		return gas
	}
	rotation := protocol.RotationClaim{SrcDomain: eth, Committee: syncPeriod(862), NextEpoch: 863, NextCommittee: syncPeriod(863)}
	hand := rotation
	hand.Runs = runs
	var recorded []protocol.Statement
	for j := range runs {
		recorded = append(recorded, protocol.Statement{KeyRuns: runs[j : j+1]})
	}
	for _, c := range []struct {
		name       string
		statements []protocol.Statement
	}{
		{"key-run", recorded[:1]},
		{"hand-over-8", append(recorded, protocol.Statement{Rotations: []protocol.RotationClaim{hand}})},
		{"rotation", []protocol.Statement{{Rotations: []protocol.RotationClaim{rotation}}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.ReportMetric(float64(submitted(b, c.statements...)), "gas/batch")
			}
		})
	}
}
