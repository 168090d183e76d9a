package leaf

import (
	"fmt"
	"math/big"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/crypto"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
)

// receiptWalk is the native walk of transaction tx's receipt in the block's receipts trie and
// the path fact its last inner step produces (zero when the leaf is the root).
func (b *receiptBlock) receiptWalk(t testing.TB, tx int) ([]mpt.Step, fr.Element) {
	t.Helper()
	enc, _ := gethrlp.EncodeToBytes(uint(tx))
	_, steps, err := mpt.VerifyNative(b.root, enc, b.trie.Prove(enc))
	if err != nil {
		t.Fatalf("receipt %d: %v", tx, err)
	}
	var path fr.Element
	if len(steps) > 1 {
		key, _, _ := ReceiptKey(uint64(tx))
		_, v, err := AssignStepLeaf(b.root, key, steps, len(steps)-2, nil, false)
		if err != nil {
			t.Fatalf("receipt %d: %v", tx, err)
		}
		path = v.Produced
	}
	return steps, path
}

// largest is the transaction of the block's largest receipt leaf (of a receipt with logs)
// and that leaf's size.
func (b *receiptBlock) largest(t testing.TB) (tx, size int) {
	for i, r := range b.receipts {
		if steps, _ := b.receiptWalk(t, i); len(steps[len(steps)-1].Node) > size && len(r.Logs) > 0 {
			tx, size = i, len(steps[len(steps)-1].Node)
		}
	}
	return tx, size
}

// longestData is the transaction and index of the block's log of the longest data, and the
// data's length.
func (b *receiptBlock) longestData() (tx, log, size int) {
	for i, r := range b.receipts {
		for li, l := range r.Logs {
			if len(l.Data) > size {
				tx, log, size = i, li, len(l.Data)
			}
		}
	}
	return tx, log, size
}

// checkChunkChain checks that a chunked receipt's facts chain as the aggregation links them:
// each chunk consumes the previous chunk's fact and its data steps', the tail the last
// chunk's and the node's path fact.
func checkChunkChain(c *ChunkedReceipt, path fr.Element) error {
	for j, v := range c.ChunkFacts {
		var want [facts.Consumed]fr.Element
		if j > 0 {
			want[0] = c.ChunkFacts[j-1].Produced
		}
		for w, d := range c.DataFacts[j] {
			want[1+w] = d.Produced
		}
		if v.Consumed != want {
			return fmt.Errorf("chunk %d consumes %v, want %v", j, v.Consumed, want)
		}
	}
	want := [facts.Consumed]fr.Element{c.ChunkFacts[len(c.ChunkFacts)-1].Produced, path}
	if c.TailFacts.Consumed != want {
		return fmt.Errorf("the tail consumes %v, want %v", c.TailFacts.Consumed, want)
	}
	return nil
}

// Every log of every receipt of the mainnet block (463 logs in 140 receipts of up to 4,517
// bytes, data of up to 1,824 bytes) is read in pieces as go-ethereum decodes it, with its data
// hashed and without, its facts chain, and its log fact is the receipt log leaf's where that
// leaf reads it too.
func TestReceiptChunksTwinMatchesGoEthereum(t *testing.T) {
	b := mainnetReceiptBlock(t)
	logs, same, largest, leaves := 0, 0, 0, 0
	for tx, r := range b.receipts {
		if len(r.Logs) == 0 {
			continue
		}
		steps, path := b.receiptWalk(t, tx)
		for li, l := range r.Logs {
			c, err := AssignReceiptChunks(b.root, tx, steps, li, true)
			if err != nil {
				t.Fatalf("receipt %d log %d: %v", tx, li, err)
			}
			want := &ReceiptLeafPublic{Node: steps[len(steps)-1].Hash, Key: c.Public.Key, Depth: steps[len(steps)-1].Depth, TxIndex: tx, LogIndex: li,
				Emitter: l.Address, Topics: l.Topics, DataFits: true, DataHash: crypto.Keccak256Hash(l.Data)}
			if len(want.Topics) == 0 {
				want.Topics = c.Public.Topics
			}
			if !equalReceiptPublic(c.Public, want) {
				t.Fatalf("receipt %d log %d: chunks %+v, go-ethereum %+v", tx, li, c.Public, want)
			}
			if err := checkChunkChain(c, path); err != nil {
				t.Fatalf("receipt %d log %d: %v", tx, li, err)
			}
			if got, wantN := len(c.Chunks), ChunksOf(len(steps[len(steps)-1].Node)); got != wantN {
				t.Fatalf("receipt %d log %d: %d chunks, ChunksOf says %d", tx, li, got, wantN)
			}
			// Without the data (a lane by receipt's reading): the same log, its data not hashed.
			lane, err := AssignReceiptChunks(b.root, tx, steps, li, false)
			if err != nil {
				t.Fatalf("receipt %d log %d, no data: %v", tx, li, err)
			}
			if err := checkChunkChain(lane, path); err != nil || lane.Public.DataFits || lane.Public.DataHash != crypto.Keccak256Hash(nil) || lane.Leaves() != len(c.Chunks)+1 {
				t.Fatalf("receipt %d log %d, no data: %v, %+v, %d leaves", tx, li, err, lane.Public, lane.Leaves())
			}
			// Where the receipt log leaf reads the log too, its fact is the tail's.
			if _, lp, v, err := AssignReceiptLogLeaf(b.root, tx, steps, li, ReceiptNodeLen, ReceiptMaxData); err == nil {
				tail := lane.TailFacts.Produced
				if lp.DataFits {
					tail = c.TailFacts.Produced
				}
				if v.Produced != tail {
					t.Fatalf("receipt %d log %d: the tail's log fact differs from the receipt log leaf's (data fits: %v)", tx, li, lp.DataFits)
				}
				same++
			}
			largest, leaves = max(largest, len(steps[len(steps)-1].Node)), max(leaves, c.Leaves())
			logs++
		}
	}
	if logs != 463 || largest != 4517 {
		t.Fatalf("%d logs read, the largest receipt leaf %d bytes; the block has 463 logs, its largest receipt leaf 4,517 bytes", logs, largest)
	}
	t.Logf("463 of 463 logs read in pieces, with and without their data (%d also by the receipt log leaf, the same fact); at most %d leaves a log", same, leaves)
}

// chunkCircuits are the chunked receipt kinds, compiled once.
type chunkCircuits struct{ chunk, data, tail constraint.ConstraintSystem }

func compileChunkCircuits(t testing.TB) *chunkCircuits {
	return &chunkCircuits{
		chunk: circuittest.Compile(t, KindReceiptChunk, field, &ReceiptChunkLeaf{}),
		data:  circuittest.Compile(t, KindReceiptData, field, &ReceiptDataLeaf{}),
		tail:  circuittest.Compile(t, KindReceiptTail, field, &ReceiptTailLeaf{}),
	}
}

func (cc *chunkCircuits) solveAll(c *ChunkedReceipt) error {
	for j, a := range c.Chunks {
		for w, d := range c.Data[j] {
			if err := circuittest.Solve(cc.data, field, d); err != nil {
				return fmt.Errorf("data step %d of chunk %d: %w", w, j, err)
			}
		}
		if err := circuittest.Solve(cc.chunk, field, a); err != nil {
			return fmt.Errorf("chunk %d: %w", j, err)
		}
	}
	if err := circuittest.Solve(cc.tail, field, c.Tail); err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	return nil
}

// flipByte returns b with its value xor 1.
func flipByte(b uints.U8) uints.U8 {
	return uints.NewU8(uint8(b.Val.(uint8)) ^ 1)
}

func bigOf(e fr.Element) *big.Int { return e.BigInt(new(big.Int)) }

// The largest receipt's pieces solve, for a log with its data hashed and without (make e2e
// solves every log of the block). Invalid assignments, each of which must fail: on a log
// whose headers cross a chunk's end
// (read through the overlap, the next chunk holding them first), every family of the
// chunk's, data leaf's and tail's constraints.
func TestReceiptChunksRefuseInvalidAssignments(t *testing.T) {
	b := mainnetReceiptBlock(t)
	cc := compileChunkCircuits(t)
	// The largest receipt (4,517 bytes, 5 chunks): the first log that starts in one chunk and
	// ends in the next.
	tx, size := b.largest(t)
	steps, _ := b.receiptWalk(t, tx)
	probe, err := AssignReceiptChunks(b.root, tx, steps, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	j := -1
	for k, st := range probe.States[:len(probe.States)-1] {
		if k > 0 && st.Cursor > st.Off {
			j = k
			break
		}
	}
	if j < 1 {
		t.Fatalf("receipt %d: no log crosses the end of a chunk past the first", tx)
	}
	c, err := AssignReceiptChunks(b.root, tx, steps, probe.States[j].Logs-1, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := cc.solveAll(c); err != nil {
		t.Fatal(err)
	}
	// The same log as a lane by receipt reads it: no data hashed, no data leaf.
	lane, err := AssignReceiptChunks(b.root, tx, steps, c.Public.LogIndex, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := cc.solveAll(lane); err != nil {
		t.Fatalf("no data: %v", err)
	}
	st := c.States[j]
	if st.Cursor <= st.Off {
		t.Fatalf("chunk %d: the log proven ends at %d, the chunk at %d: not the case this test needs", j, st.Cursor, st.Off)
	}
	jd := j // the chunk that folds the log's first data window
	for len(c.Data[jd]) == 0 {
		jd++
	}
	t.Logf("receipt %d (%d bytes), log %d: starts in chunk %d and ends at byte %d, past the chunk's end %d", tx, size, c.Public.LogIndex, j, st.Cursor, st.Off)

	chunk := func(name string, k int, mutate func(a *ReceiptChunkLeaf)) {
		a := *c.Chunks[k]
		mutate(&a)
		if err := circuittest.Solve(cc.chunk, field, &a); err == nil {
			t.Errorf("chunk %d: %s: accepted", k, name)
		}
	}
	forgeOut := func(name string, k int, forge func(s *ChunkState)) {
		chunk("forged "+name, k, func(a *ReceiptChunkLeaf) {
			f := c.States[k]
			forge(&f)
			a.IO.Produced = bigOf(ChunkFact(&f))
		})
	}
	forgeIn := func(name string, k int, forge func(s *ChunkState)) {
		chunk("state in with "+name, k, func(a *ReceiptChunkLeaf) {
			f := c.States[k-1]
			forge(&f)
			a.In = f.assign()
			a.IO.Consumed[0] = bigOf(ChunkFact(&f))
		})
	}
	chunk("a byte of the chunk", j, func(a *ReceiptChunkLeaf) { a.Bytes[100] = flipByte(a.Bytes[100]) })
	chunk("a byte past the chunk", j, func(a *ReceiptChunkLeaf) { a.Bytes[ChunkLen+3] = flipByte(a.Bytes[ChunkLen+3]) })
	chunk("a byte of the sponge carried", j, func(a *ReceiptChunkLeaf) { a.Lanes[7] = flipByte(a.Lanes[7]) })
	chunk("the chunk before left out", j+1, func(a *ReceiptChunkLeaf) {
		a.In = c.States[j-1].assign()
		a.IO.Consumed[0] = bigOf(ChunkFact(&c.States[j-1]))
	})
	chunk("its own state in (reordered)", j, func(a *ReceiptChunkLeaf) {
		a.In = c.States[j].assign()
		a.IO.Consumed[0] = bigOf(ChunkFact(&c.States[j]))
	})
	chunk("another chunk's bytes", j, func(a *ReceiptChunkLeaf) { a.Bytes = c.Chunks[j+1].Bytes })
	chunk("data steps swapped", jd, func(a *ReceiptChunkLeaf) {
		if len(c.Data[jd]) < 2 {
			a.IO.Consumed[1], a.IO.Consumed[2] = 0, a.IO.Consumed[1] // a step moved to another slot
			a.Steps[1] = a.Steps[0]
			return
		}
		a.IO.Consumed[1], a.IO.Consumed[2] = a.IO.Consumed[2], a.IO.Consumed[1]
		a.Steps[0], a.Steps[1] = a.Steps[1], a.Steps[0]
	})
	chunk("a data step left out", jd, func(a *ReceiptChunkLeaf) { a.IO.Consumed[1] = 0 })
	chunk("a data step's result altered", jd, func(a *ReceiptChunkLeaf) { a.Steps[0].Out = 12345 })
	chunk("the first chunk, a log already started", 0, func(a *ReceiptChunkLeaf) { a.In.Logs = 1 })
	chunk("the first chunk, a sponge already used", 0, func(a *ReceiptChunkLeaf) { a.Lanes[0] = uints.NewU8(1) })
	forgeIn("the cursor a byte on (a log read from the wrong place)", j+1, func(s *ChunkState) { s.Cursor++ })
	forgeIn("the cursor a byte back", j+1, func(s *ChunkState) { s.Cursor-- })
	forgeIn("one log fewer started", j+1, func(s *ChunkState) { s.Logs-- })
	forgeIn("the node's length cut", j+1, func(s *ChunkState) { s.Length = s.Off + 10 })
	forgeIn("the node done", j+1, func(s *ChunkState) { s.Done = true })
	forgeIn("another overlap", j+1, func(s *ChunkState) { s.Overlap.SetUint64(7) })
	forgeIn("another sponge", j+1, func(s *ChunkState) { s.Sponge.SetUint64(7) })
	for _, f := range []struct {
		name  string
		forge func(s *ChunkState)
	}{
		{"emitter", func(s *ChunkState) { s.Emitter[0] ^= 1 }},
		{"topic", func(s *ChunkState) { s.Topics[0][31] ^= 1 }},
		{"topic count", func(s *ChunkState) { s.NumTopics++ }},
		{"data start", func(s *ChunkState) { s.DataStart++ }},
		{"data length", func(s *ChunkState) { s.DataLen-- }},
		{"logs started", func(s *ChunkState) { s.Logs++ }},
		{"cursor", func(s *ChunkState) { s.Cursor++ }},

		{"sponge", func(s *ChunkState) { s.Sponge.SetUint64(5) }},
		{"offset", func(s *ChunkState) { s.Off++ }},
		{"log proven", func(s *ChunkState) { s.LogIndex++ }},
		{"overlap", func(s *ChunkState) { s.Overlap.SetUint64(5) }},
		{"done", func(s *ChunkState) { s.Done = true }},
	} {
		forgeOut(f.name, j, f.forge)
	}
	forgeOut("windows", jd, func(s *ChunkState) { s.Windows++ })
	forgeOut("data sponge", jd, func(s *ChunkState) { s.Data.SetUint64(5) })
	last := len(c.Chunks) - 1
	forgeOut("node hash", last, func(s *ChunkState) { s.NodeHash[0] ^= 1 })
	forgeOut("not done", last, func(s *ChunkState) { s.Done, s.Sponge = false, fr.Element{} })
	forgeOut("prefix", 0, func(s *ChunkState) { s.Prefix.SetUint64(5) })

	// The data leaf: its window, its length, its result.
	d0 := c.Data[jd][0]
	data := func(name string, mutate func(a *ReceiptDataLeaf)) {
		a := *d0
		mutate(&a)
		if err := circuittest.Solve(cc.data, field, &a); err == nil {
			t.Errorf("data step: %s: accepted", name)
		}
	}
	data("a byte of the window", func(a *ReceiptDataLeaf) { a.Window[5] = flipByte(a.Window[5]) })
	data("a byte of the sponge in", func(a *ReceiptDataLeaf) { a.Lanes[9] = flipByte(a.Lanes[9]) })
	data("a short window not final", func(a *ReceiptDataLeaf) { a.N, a.Final = 10, 0 })
	data("a full window final", func(a *ReceiptDataLeaf) { a.N, a.Final = DataWindow, 1 })
	data("a forged result", func(a *ReceiptDataLeaf) {
		var v facts.Values
		v.Produced = DataStepFact(packDigestNative(nil), DataWindow, false, fr.Element{}, fr.Element{}, crypto.Keccak256Hash(nil))
		v.Assign(&a.IO)
	})

	// The tail: the prefix, the key, the state it ends on, the fact it produces.
	tail := func(name string, mutate func(a *ReceiptTailLeaf)) {
		a := *c.Tail
		mutate(&a)
		if err := circuittest.Solve(cc.tail, field, &a); err == nil {
			t.Errorf("tail: %s: accepted", name)
		}
	}
	fin := c.States[last]
	forgeTail := func(name string, forge func(s *ChunkState)) {
		tail("state with "+name, func(a *ReceiptTailLeaf) {
			f := fin
			forge(&f)
			a.State = f.assign()
			a.IO.Consumed[0] = bigOf(ChunkFact(&f))
		})
	}
	forgeTail("the node not done", func(s *ChunkState) { s.Done = false })
	forgeTail("a data window missing", func(s *ChunkState) { s.Windows-- })
	forgeTail("the log proven not started", func(s *ChunkState) { s.LogIndex = s.Logs })
	forgeTail("the logs starting a byte on", func(s *ChunkState) { s.LogsStart++ })
	forgeTail("the node a byte longer", func(s *ChunkState) { s.Length++; s.Cursor++ })
	tail("a byte of the prefix (the status)", func(a *ReceiptTailLeaf) {
		a.Prefix[ReceiptPrefixLen-300] = flipByte(a.Prefix[ReceiptPrefixLen-300])
	})
	tail("another transaction's key", func(a *ReceiptTailLeaf) {
		k, _, _ := ReceiptKey(uint64(tx + 1))
		a.TxIndex, a.Key = tx+1, halves(k)[0]
	})
	tail("data claimed hashed with no window absorbed", func(a *ReceiptTailLeaf) {
		f := fin
		f.Windows, f.Data = 0, emptySponge
		a.State = f.assign()
		a.IO.Consumed[0] = bigOf(ChunkFact(&f))
	})
	tail("the data's hash taken where no data is hashed", func(a *ReceiptTailLeaf) {
		f := fin
		f.DataFits = false
		a.State = f.assign()
		a.IO.Consumed[0] = bigOf(ChunkFact(&f)) // the log fact still states the data's hash
	})
	tail("another depth", func(a *ReceiptTailLeaf) { a.Depth = c.Public.Depth + 1 })
	tail("the path fact left out", func(a *ReceiptTailLeaf) { a.IO.Consumed[1] = 0 })
	tail("a forged log fact", func(a *ReceiptTailLeaf) {
		p := *c.Public
		p.Emitter[3] ^= 1
		a.IO.Produced = bigOf(LogFact(b.root, &p))
	})
	tail("a forged data hash", func(a *ReceiptTailLeaf) {
		p := *c.Public
		p.DataHash[0] ^= 1
		a.IO.Produced = bigOf(LogFact(b.root, &p))
	})
}

// Every log of every receipt of the mainnet block, each with its data hashed, solves in
// every piece: 463 logs, each receipt's chunks, its log's data windows and the tail. A path
// of make e2e (the solver over ~1,000 leaves takes ~10 minutes on 2 cores).
func TestE2EReceiptChunksEveryMainnetLog(t *testing.T) {
	if os.Getenv("ISTHMUS_E2E") == "" {
		t.Skip("a long solver path of make e2e (ISTHMUS_E2E=1)")
	}
	b := mainnetReceiptBlock(t)
	type job struct {
		tx, log int
		steps   []mpt.Step
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var failures []string
	leaves := 0
	var wg sync.WaitGroup
	for w := range runtime.NumCPU() {
		// Each worker solves on constraint systems of its own: two goroutines solving on one
		// compiled system at once (gnark v0.16.3's IsSolved) refused 12 of these valid
		// witnesses, which solve one at a time.
		cc := &chunkCircuits{
			chunk: circuittest.Compile(t, fmt.Sprintf("%s, worker %d", KindReceiptChunk, w), field, &ReceiptChunkLeaf{}),
			data:  circuittest.Compile(t, fmt.Sprintf("%s, worker %d", KindReceiptData, w), field, &ReceiptDataLeaf{}),
			tail:  circuittest.Compile(t, fmt.Sprintf("%s, worker %d", KindReceiptTail, w), field, &ReceiptTailLeaf{}),
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c, err := AssignReceiptChunks(b.root, j.tx, j.steps, j.log, true)
				if err == nil {
					err = cc.solveAll(c)
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("receipt %d log %d: %v", j.tx, j.log, err))
				} else {
					leaves += c.Leaves()
				}
				mu.Unlock()
			}
		}()
	}
	logs := 0
	for tx, r := range b.receipts {
		if len(r.Logs) == 0 {
			continue
		}
		steps, _ := b.receiptWalk(t, tx) // in the test's goroutine: it may fail the test
		for li := range r.Logs {
			jobs <- job{tx, li, steps}
			logs++
		}
	}
	close(jobs)
	wg.Wait()
	if len(failures) > 0 || logs != 463 {
		t.Fatalf("%d logs, %d refused: %v", logs, len(failures), failures)
	}
	t.Logf("463 logs of block 21,925,176 solved in pieces: %d leaves", leaves)
}
