package leaf

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/prover"
)

// Setup and prove of the leaf circuits: the header leaf at committee capacity 4 (16 and 64
// add ~8k constraints a slot to its 0.81M), the state step and the receipt leaf (the
// pipeline's bounds, a mainnet log). Run each alone for a
// meaningful peak-GiB:
//
//	go test ./circuits/leaf -run '^$' -bench 'BenchmarkProve/state-step' -benchtime 1x -timeout 30m

// benchCircuits are the leaf circuits benchmarked, each with a valid assignment.
func benchCircuits(b *testing.B) []struct {
	name    string
	circuit frontend.Circuit
	assign  func() frontend.Circuit
} {
	return []struct {
		name    string
		circuit frontend.Circuit
		assign  func() frontend.Circuit
	}{
		{"header-leaf-4", NewHeaderCircuit(4), func() frontend.Circuit { return signedLeaf(b, 4, 4, 3, srcDomain) }},
		{"state-step", &StateStepCircuit{}, func() frontend.Circuit { return firstMainnetStep(b) }},
		{ReceiptLeafName, NewReceiptLeafCircuit(ReceiptNodeLen, ReceiptMaxData), func() frontend.Circuit {
			return receiptCases(b, mainnetReceiptBlock(b))["a two-byte key"].leaf
		}},
	}
}

// firstMainnetStep is the root step (a 532-byte branch) of the deposit contract's account proof.
func firstMainnetStep(b *testing.B) frontend.Circuit {
	ps, err := mainnet.StateProofs()
	if err != nil {
		b.Fatal(err)
	}
	value, steps, err := mpt.VerifyNative(ps[0].Root, ps[0].Key, ps[0].Nodes)
	if err != nil {
		b.Fatal(err)
	}
	a, _, err := AssignStateStep(common.BytesToHash(ps[0].Key), steps, 0, value, true)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func BenchmarkSetup(b *testing.B) {
	for _, bc := range benchCircuits(b) {
		b.Run(bc.name, func(b *testing.B) {
			ccs, err := frontend.Compile(field, r1cs.NewBuilder, bc.circuit)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, _, err := groth16.Setup(ccs); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "setup-s")
			}
		})
	}
}

func BenchmarkProve(b *testing.B) {
	for _, bc := range benchCircuits(b) {
		b.Run(bc.name, func(b *testing.B) {
			ccs, err := frontend.Compile(field, r1cs.NewBuilder, bc.circuit)
			if err != nil {
				b.Fatal(err)
			}
			// Keys from the store (the pipeline's, made once per machine).
			dir, err := prover.DefaultDir()
			if err != nil {
				b.Fatal(err)
			}
			keys, err := (&prover.Store{Dir: dir}).Keys(bc.name, ccs, false)
			if err != nil {
				b.Fatal(err)
			}
			pk := keys.PK
			w, err := frontend.NewWitness(bc.assign(), field)
			if err != nil {
				b.Fatal(err)
			}
			opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field)
			for i := 0; i < b.N; i++ {
				runtime.GC()
				debug.FreeOSMemory()
				prover.ResetPeak()
				start := time.Now()
				if _, err := groth16.Prove(ccs, pk, w, opt); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "prove-s")
				b.ReportMetric(prover.PeakGiB(), "peak-GiB")
			}
		})
	}
}

// BenchmarkLaneClaim proves the leaf proofs of one lane claim at mainnet depth both ways
// (docs/circuits.md, "Event mode"): by storage (an account proof and two storage proofs, a state step a
// node: the deposit contract's 8 + 3 + 3 nodes, WETH's 9 + 7 + 7) and by receipt (a log of
// block 21,925,176: state steps for the nodes above its leaf, 2 for transactions 1 to 127, 4
// from 128 on, and the receipt leaf; or, for the block's largest receipt, its chunks and
// tail).
// It reports the proofs, their constraints, their proving seconds summed and the peak. Keys
// from the store (the receipt leaf's made by the run if absent: ~5 minutes).
//
//	go test ./circuits/leaf -run '^$' -bench 'BenchmarkLaneClaim' -benchtime 1x -timeout 60m
func BenchmarkLaneClaim(b *testing.B) {
	dir, err := prover.DefaultDir()
	if err != nil {
		b.Fatal(err)
	}
	store := &prover.Store{Dir: dir}
	type circuit struct {
		ccs  constraint.ConstraintSystem
		keys *prover.Keys
	}
	compiled := map[string]*circuit{}
	load := func(name string, placeholder frontend.Circuit) *circuit {
		if c, ok := compiled[name]; ok {
			return c
		}
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, placeholder)
		if err != nil {
			b.Fatal(err)
		}
		keys, err := store.Keys(name, ccs, false)
		if err != nil {
			b.Fatal(err)
		}
		compiled[name] = &circuit{ccs, keys}
		return compiled[name]
	}
	type proof struct {
		name       string
		assignment frontend.Circuit
	}
	stepsOf := func(p mainnet.Proof, twice bool) []proof {
		value, steps, err := mpt.VerifyNative(p.Root, p.Key, p.Nodes)
		if err != nil {
			b.Fatal(err)
		}
		var out []proof
		for i := range steps {
			a, _, err := AssignStateStep(common.BytesToHash(p.Key), steps, i, value, p.Account)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, proof{"state-step", a})
		}
		if twice { // a lane claim's word and accumulator slots: two storage proofs of one depth
			out = append(out, out...)
		}
		return out
	}
	ps, err := mainnet.StateProofs()
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]mainnet.Proof{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	receiptPath := func(name string) func() []proof {
		return func() []proof {
			c := receiptCases(b, mainnetReceiptBlock(b))[name]
			var out []proof
			for _, s := range c.steps {
				out = append(out, proof{"state-step", s})
			}
			return append(out, proof{ReceiptLeafName, c.leaf})
		}
	}
	cases := []struct {
		name   string
		proofs func() []proof
	}{
		{"storage-14-steps", func() []proof {
			return append(stepsOf(byName["account 0x00000000219ab540356cBB839Cbe05303d7705Fa at 21925176"], false),
				stepsOf(byName["slot 1 of 0x00000000219ab540356cBB839Cbe05303d7705Fa"], true)...)
		}},
		{"storage-23-steps", func() []proof {
			return append(stepsOf(byName["account WETH at 19000000"], false), stepsOf(byName["slot 2 of WETH (decimals = 18)"], true)...)
		}},
		{"receipt-one-byte-key", receiptPath("a one-byte key")}, // transactions 1 to 127: 2 nodes above the leaf
		{"receipt-two-byte-key", receiptPath("a two-byte key")}, // 128 and up: 4 nodes above the leaf
		// The block's largest receipt (4,517 bytes), read as a lane by receipt reads its log
		// (no data hashed): the steps above its leaf, its chunks, the tail.
		{"receipt-in-pieces-4517B", func() []proof {
			blk := mainnetReceiptBlock(b)
			tx, _ := blk.largest(b)
			steps, _ := blk.receiptWalk(b, tx)
			key, _, err := ReceiptKey(uint64(tx))
			if err != nil {
				b.Fatal(err)
			}
			var out []proof
			for i := range steps[:len(steps)-1] {
				a, _, err := AssignStateStep(key, steps, i, nil, false)
				if err != nil {
					b.Fatal(err)
				}
				out = append(out, proof{"state-step", a})
			}
			c, err := AssignReceiptChunks(blk.root, tx, steps, len(blk.receipts[tx].Logs)-1, false)
			if err != nil {
				b.Fatal(err)
			}
			for _, a := range c.Chunks {
				out = append(out, proof{KindReceiptChunk, a})
			}
			return append(out, proof{KindReceiptTail, c.Tail})
		}},
	}
	placeholders := map[string]frontend.Circuit{"state-step": &StateStepCircuit{}, ReceiptLeafName: NewReceiptLeafCircuit(ReceiptNodeLen, ReceiptMaxData),
		KindReceiptChunk: &ReceiptChunkLeaf{}, KindReceiptTail: &ReceiptTailLeaf{}}
	opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field)
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			proofs := tc.proofs()
			for _, p := range proofs {
				load(p.name, placeholders[p.name])
			}
			for i := 0; i < b.N; i++ {
				var seconds, peak float64
				constraints := 0
				for _, p := range proofs {
					c := compiled[p.name]
					w, err := frontend.NewWitness(p.assignment, field)
					if err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					debug.FreeOSMemory()
					prover.ResetPeak()
					start := time.Now()
					if _, err := groth16.Prove(c.ccs, c.keys.PK, w, opt); err != nil {
						b.Fatal(err)
					}
					seconds += time.Since(start).Seconds()
					peak = max(peak, prover.PeakGiB())
					constraints += c.ccs.GetNbConstraints()
				}
				b.ReportMetric(float64(len(proofs)), "proofs")
				b.ReportMetric(float64(constraints), "constraints")
				b.ReportMetric(seconds, "prove-s")
				b.ReportMetric(peak, "peak-GiB")
			}
		})
	}
}

// BenchmarkReceiptChunks proves, with real Groth16 proofs, one log of the block's largest
// receipt in pieces (4,517 bytes: 5 chunks, its data windows, the tail) and the log of the
// longest data (1,824 bytes of data: 5 data windows), and reports per log the proofs, their
// constraints, the proving seconds summed, the peak, and the seconds per KiB of receipt
// leaf. Keys from the store (the three kinds' made by the run if absent: ~8 minutes).
//
//	go test ./circuits/leaf -run '^$' -bench 'BenchmarkReceiptChunks' -benchtime 1x -timeout 60m
func BenchmarkReceiptChunks(b *testing.B) {
	dir, err := prover.DefaultDir()
	if err != nil {
		b.Fatal(err)
	}
	store := &prover.Store{Dir: dir}
	type kind struct {
		ccs  constraint.ConstraintSystem
		keys *prover.Keys
	}
	kinds := map[string]*kind{}
	for name, placeholder := range map[string]frontend.Circuit{KindReceiptChunk: &ReceiptChunkLeaf{}, KindReceiptData: &ReceiptDataLeaf{},
		KindReceiptTail: &ReceiptTailLeaf{}} {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, placeholder)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		keys, err := store.Keys(name, ccs, false)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d constraints, keys in %.0f s", name, ccs.GetNbConstraints(), time.Since(start).Seconds())
		kinds[name] = &kind{ccs, keys}
	}
	blk := mainnetReceiptBlock(b)
	bigTx, _ := blk.largest(b)
	longTx, longLog, _ := blk.longestData()
	for _, pick := range []struct {
		name    string
		tx, log int
	}{{"largest-receipt", bigTx, len(blk.receipts[bigTx].Logs) - 1}, {"longest-data", longTx, longLog}} {
		b.Run(pick.name, func(b *testing.B) {
			steps, _ := blk.receiptWalk(b, pick.tx)
			c, err := AssignReceiptChunks(blk.root, pick.tx, steps, pick.log, true)
			if err != nil {
				b.Fatal(err)
			}
			var leaves []circuittest.Leaf
			add := func(kind string, a frontend.Circuit) {
				k := kinds[kind]
				leaves = append(leaves, circuittest.Leaf{Name: kind, CCS: k.ccs, PK: k.keys.PK, Assignment: a})
			}
			for j, a := range c.Chunks {
				for _, d := range c.Data[j] {
					add(KindReceiptData, d)
				}
				add(KindReceiptChunk, a)
			}
			add(KindReceiptTail, c.Tail)
			size := len(steps[len(steps)-1].Node)
			for i := 0; i < b.N; i++ {
				seconds := circuittest.ReportLeafProofs(b, leaves)
				b.ReportMetric(float64(size), "receipt-bytes")
				b.ReportMetric(seconds/(float64(size)/1024), "prove-s-per-KiB")
			}
		})
	}
}
