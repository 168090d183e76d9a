package aggregator

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The leaf kinds of the universal aggregation, by their circuits' names in the key store
// (committee capacity 4, the receipt leaf's pipeline bounds).
const (
	KindFold         = "universal-fold"
	KindHeader       = "universal-header-4"
	KindStep         = "universal-step"
	KindLane         = "universal-lane"
	KindRotation     = "universal-rotation-4"
	KindReceiptLog   = "universal-receipt-log"
	KindReceiptClaim = "universal-receipt-claim"
	// A receipt over the receipt log leaf's bounds is proven in pieces: chunks of its
	// leaf, windows of the log's data, and the tail that produces the log's fact.
	KindReceiptChunk = leaf.KindReceiptChunk
	KindReceiptData  = leaf.KindReceiptData
	KindReceiptTail  = leaf.KindReceiptTail
)

// KindSyncFinalized is the finalized header's kind of an update under Ethereum's sync
// committee (the same for every fork).
const KindSyncFinalized = "universal-sync-finalized"

// SyncSignatureKind is the kind of a sync committee's signature, for a committee of size.
func SyncSignatureKind(size int) string { return fmt.Sprintf("universal-sync-signature-%d", size) }

// SyncHeaderKind is the kind of an update's attested header, of a fork (its signing domain).
func SyncHeaderKind(fork string) string { return "universal-sync-header-" + fork }

// SyncFinalityKind is the kind of an update's finality branch, of a fork (its index).
func SyncFinalityKind(fork string) string { return "universal-sync-finality-" + fork }

// SyncPayloadKind is the kind of an update's execution payload header, of a fork (its shape)
// and a source domain (the header fact it produces names it).
func SyncPayloadKind(fork string, srcDomain uint32) string {
	return fmt.Sprintf("universal-sync-payload-%s-d%d", fork, srcDomain)
}

// KindSyncTree is the kind of a node of a sync committee's key tree.
const KindSyncTree = "universal-sync-tree"

// SyncChunkKind is the kind of a run of n keys of a sync committee.
func SyncChunkKind(n int) string { return fmt.Sprintf("universal-sync-chunk-%d", n) }

// SyncNextKind is the kind of a next sync committee's root, of a fork (its index) and a
// committee size.
func SyncNextKind(fork string, size int) string {
	return fmt.Sprintf("universal-sync-next-%s-%d", fork, size)
}

// SyncRotationKind is the kind of a sync-committee rotation claim of a source domain.
func SyncRotationKind(srcDomain uint32) string {
	return fmt.Sprintf("universal-sync-rotation-d%d", srcDomain)
}

// KindSyncKeyRun is the kind of a key-run claim: a run of a next committee's keys, proven
// in a batch of its own for a hand-over over several batches.
const KindSyncKeyRun = "universal-sync-key-run"

// SyncNextRunsKind is the kind of a next sync committee's root over runs, of a fork (its
// index), a committee size and a number of runs.
func SyncNextRunsKind(fork string, size, runs int) string {
	return fmt.Sprintf("universal-sync-next-runs-%s-%d-r%d", fork, size, runs)
}

// SyncHandOverKind is the kind of a hand-over claim over runs, of a source domain.
func SyncHandOverKind(srcDomain uint32, runs int) string {
	return fmt.Sprintf("universal-sync-hand-over-d%d-r%d", srcDomain, runs)
}

// SyncConfig names a deployment's sync-committee kinds: the beacon chain, the Isthmus
// domain it is the source of, the forks whose updates it proves, how many keys a chunk of a
// rotation's next committee holds (a power of two dividing the committee size), and, for a
// committee whose hand-over does not fit one batch, in how many runs it is proven over
// several (0: in one batch; else a power of two, each run a batch, then the hand-over's).
type SyncConfig struct {
	Beacon    synccommittee.Config
	SrcDomain uint32
	Forks     []string
	ChunkKeys int
	Runs      int
}

// HandOverRunKeys is how many members a run of a hand-over over several batches holds: at 4
// keys a chunk, a run's 16 chunks, 5 key-tree nodes, its claim and a fold are 23 leaves of a
// batch's 32 slots.
const HandOverRunKeys = 64

// Circuits are the placeholders of the sync kinds, by name in allow-list order: the
// signature, then each fork's header, finality, payload and next-committee root kinds, then
// the finalized header, the chunk, the key tree's node and the rotation claim. A hand-over
// over several batches (Runs) takes the key-run claim, each fork's root over the runs and
// the hand-over claim instead of the next-committee root and rotation kinds.
func (u *SyncConfig) Circuits() ([]string, map[string]frontend.Circuit, error) {
	b := &u.Beacon
	if k := u.ChunkKeys; k < 1 || k&(k-1) != 0 || b.CommitteeSize%k != 0 {
		return nil, nil, fmt.Errorf("sync kinds: chunks of %d keys for a committee of %d", k, b.CommitteeSize)
	}
	names := []string{SyncSignatureKind(b.CommitteeSize)}
	circuits := map[string]frontend.Circuit{names[0]: leaf.NewSyncSignatureLeaf(b.CommitteeSize)}
	add := func(name string, c frontend.Circuit) {
		names = append(names, name)
		circuits[name] = c
	}
	for _, f := range u.Forks {
		r, err := b.Rules(f)
		if err != nil {
			return nil, nil, err
		}
		add(SyncHeaderKind(f), leaf.NewSyncHeaderLeaf(r))
		add(SyncFinalityKind(f), leaf.NewSyncFinalityLeaf(r))
		add(SyncPayloadKind(f, u.SrcDomain), leaf.NewSyncPayloadLeaf(r, u.SrcDomain))
		if u.Runs == 0 {
			add(SyncNextKind(f, b.CommitteeSize), leaf.NewSyncNextLeaf(r, b.CommitteeSize))
		}
	}
	add(KindSyncFinalized, &leaf.SyncFinalizedLeaf{})
	add(SyncChunkKind(u.ChunkKeys), leaf.NewSyncChunkLeaf(u.ChunkKeys))
	add(KindSyncTree, &leaf.SyncTreeLeaf{})
	if u.Runs == 0 {
		add(SyncRotationKind(u.SrcDomain), leaf.NewSyncRotationLeaf(u.SrcDomain, b.SlotsPerEpoch*b.EpochsPerPeriod))
	}
	if u.Runs > 0 {
		if r := u.Runs; r < 2 || r&(r-1) != 0 || r > protocol.MaxHandOverRuns || (b.CommitteeSize/u.ChunkKeys)%r != 0 {
			return nil, nil, fmt.Errorf("sync kinds: a hand-over of %d members in chunks of %d keys cannot make %d runs", b.CommitteeSize, u.ChunkKeys, r)
		}
		add(KindSyncKeyRun, &leaf.SyncKeyRunLeaf{})
		for _, f := range u.Forks {
			r, err := b.Rules(f)
			if err != nil {
				return nil, nil, err
			}
			add(SyncNextRunsKind(f, b.CommitteeSize, u.Runs), leaf.NewSyncNextRunsLeaf(r, b.CommitteeSize, u.Runs))
		}
		add(SyncHandOverKind(u.SrcDomain, u.Runs), leaf.NewSyncHandOverLeaf(u.SrcDomain, b.SlotsPerEpoch*b.EpochsPerPeriod, u.Runs))
	}
	return names, circuits, nil
}

// CommitteeKinds are the placeholders of the universal kinds' circuits, by name, the fold
// (the export kind) first in Kinds.
func CommitteeKinds() (kinds []string, circuits map[string]frontend.Circuit) {
	return []string{KindFold, KindHeader, KindStep, KindLane, KindRotation, KindReceiptLog, KindReceiptClaim, KindReceiptChunk, KindReceiptData, KindReceiptTail},
		map[string]frontend.Circuit{
			KindFold: &leaf.FoldLeaf{}, KindHeader: leaf.NewHeaderLeaf(committeeCapacity), KindStep: &leaf.StepLeaf{},
			KindLane: &leaf.LaneLeaf{}, KindRotation: leaf.NewRotationLeaf(committeeCapacity),
			KindReceiptLog: leaf.NewReceiptLogLeaf(leaf.ReceiptNodeLen, leaf.ReceiptMaxData), KindReceiptClaim: &leaf.ReceiptClaimLeaf{},
			KindReceiptChunk: &leaf.ReceiptChunkLeaf{}, KindReceiptData: &leaf.ReceiptDataLeaf{}, KindReceiptTail: &leaf.ReceiptTailLeaf{},
		}
}

// committeeCapacity is the committee capacity of the universal kinds' header and rotation
// leaves.
const committeeCapacity = 4

// PlannedLeaf is one leaf proof a batch of the universal aggregation needs: its kind, its
// circuit's assignment and its facts.
type PlannedLeaf struct {
	Kind       string
	Label      string
	Assignment frontend.Circuit
	Facts      facts.Values
}

// Plan is a batch planned for the universal aggregation: its statement, the chain
// of its claims' hashes (protocol.ChainStatement) that the last fold exports, and its
// leaves, in no particular order (universal.Link orders them by their facts). A plan of
// claims the statement does not name (a kind added to the allow-list) has its chain alone.
type Plan struct {
	Statement protocol.Statement
	Chain     common.Hash
	Leaves    []PlannedLeaf
}

// PlanBatch checks a batch natively and plans its leaves for the universal aggregation:
// for each lane claim proven by storage its block's header leaf, the state steps of its three
// proofs and its lane leaf; for each claim by receipt its block's header leaf, the
// receipts-trie steps, its log leaf (for a receipt over the log leaf's bounds, or an event
// whose data is, the receipt's chunks, data windows and tail) and its claim leaf; a rotation leaf a rotation; and the
// folds of the statement's claims, three a fold, the last one exporting the statement. A leaf
// another already plans (the same kind producing the same fact) is planned once: claims at one
// block share its header leaf, lanes of one Outbox at one block the account's steps. Claims
// under Ethereum's sync committee take their update's five leaves instead of a header leaf,
// and a sync-committee rotation its update's first four, the next committee's chunks, key
// tree nodes and root, and a claim leaf (b.Sync names the beacon chain and the chunks).
func PlanBatch(b Batch) (*Plan, error) {
	p := &Plan{}
	seen := map[string]bool{}
	add := func(kind, label string, a frontend.Circuit, v facts.Values) {
		key := kind + "/" + v.Produced.String()
		if seen[key] {
			return
		}
		seen[key] = true
		p.Leaves = append(p.Leaves, PlannedLeaf{kind, label, a, v})
	}
	// syncUpdate plans the five leaves of an update under Ethereum's sync committee, each
	// piece's kind of its own slot's fork.
	// syncPieces plans an update's signature, attested header, finality branch and
	// finalized header.
	syncPieces := func(label string, l *leaf.SyncUpdateLeaves) {
		size := len(l.Signature.Signature.Keys)
		add(SyncSignatureKind(size), label+", sync signature", l.Signature, l.Values[0])
		add(SyncHeaderKind(l.HeaderRules.Fork.Name), label+", sync attested header", l.Header, l.Values[1])
		add(SyncFinalityKind(l.FinalityRules.Fork.Name), label+", sync finality branch", l.Finality, l.Values[2])
		add(KindSyncFinalized, label+", sync finalized header", l.Finalized, l.Values[3])
	}
	syncUpdate := func(label string, beacon *synccommittee.Config, src uint32, su *synccommittee.SignedUpdate) (*leaf.HeaderPublic, error) {
		l, err := leaf.AssignSyncUpdate(*beacon, src, su)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		syncPieces(label, l)
		add(SyncPayloadKind(l.PayloadRules.Fork.Name, src), label+", sync payload", l.Payload, l.Values[4])
		return l.Public, nil
	}
	header := func(label string, src uint32, h *types.Header, c committee.Committee, sigs map[int]*eddsanative.Signature) (*leaf.HeaderPublic, error) {
		enc, err := rlp.EncodeToBytes(h)
		if err != nil {
			return nil, fmt.Errorf("%s: header: %w", label, err)
		}
		a, pub, v, err := leaf.AssignHeaderLeaf(src, enc, c, sigs, committeeCapacity)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		add(KindHeader, label+", header", a, v)
		return pub, nil
	}
	// receiptLog plans the leaves of log index of transaction tx's receipt, the last step of
	// walk under the receipts root: the receipt log leaf where the receipt is within its
	// bounds (and, for an event, which needs it, the log's data too), else the receipt in
	// pieces (its chunks, its data windows, the tail).
	receiptLog := func(label string, root common.Hash, tx int, walk []mpt.Step, index int, needData bool) (*leaf.ReceiptLeafPublic, error) {
		la, lp, lv, err := leaf.AssignReceiptLogLeaf(root, tx, walk, index, leaf.ReceiptNodeLen, leaf.ReceiptMaxData)
		if err == nil && (lp.DataFits || !needData) {
			add(KindReceiptLog, label+", log", la, lv)
			return lp, nil
		}
		if err != nil && !errors.Is(err, leaf.ErrReceiptTooLarge) {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		c, err := leaf.AssignReceiptChunks(root, tx, walk, index, needData)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		windows := 0
		for j, a := range c.Chunks {
			for k, d := range c.Data[j] {
				windows++
				add(KindReceiptData, fmt.Sprintf("%s, data window %d", label, windows), d, c.DataFacts[j][k])
			}
			add(KindReceiptChunk, fmt.Sprintf("%s, receipt chunk %d of %d", label, j+1, len(c.Chunks)), a, c.ChunkFacts[j])
		}
		add(KindReceiptTail, label+", receipt tail", c.Tail, c.TailFacts)
		return c.Public, nil
	}
	// steps plans the walk of key under root; the last step's leaf holds value (nil for a
	// receipts-trie walk, whose leaf is the log leaf's).
	steps := func(label string, root, key common.Hash, walk []mpt.Step, value []byte, account bool, n int) error {
		for j := range n {
			a, v, err := leaf.AssignStepLeaf(root, key, walk, j, value, account)
			if err != nil {
				return fmt.Errorf("%s, step %d: %w", label, j, err)
			}
			add(KindStep, fmt.Sprintf("%s, step %d", label, j), a, v)
		}
		return nil
	}

	for i := range b.Claims {
		in := &b.Claims[i]
		label := fmt.Sprintf("claim %d", i)
		if in.Sync != nil && (b.Sync == nil || in.Sync.Update == nil || in.Sync.Committee == nil) {
			return nil, fmt.Errorf("%s: a claim under the sync committee needs its update, the update's committee and a beacon chain configured", label)
		}
		if err := in.Lane.Verify(); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		c, err := in.Claim()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		word, acc, err := in.storage()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		var hdr *leaf.HeaderPublic
		if in.Sync != nil {
			hdr, err = syncUpdate(label, &b.Sync.Beacon, in.Lane.SrcDomain, in.Sync)
		} else {
			hdr, err = header(label, in.Lane.SrcDomain, in.Lane.Header, in.Committee, in.Signatures)
		}
		if err != nil {
			return nil, err
		}
		if hdr.BlockNumber != in.Lane.Header.Number.Uint64() || hdr.BlockHash != in.Lane.Header.Hash() || hdr.StateRoot != in.Lane.Header.Root {
			return nil, fmt.Errorf("%s: the header proven is block %d (%s), the lane's is block %d (%s)", label, hdr.BlockNumber, hdr.BlockHash,
				in.Lane.Header.Number, in.Lane.Header.Hash())
		}
		keys := leaf.KeysOf(c, word.Value)
		for _, pr := range []struct {
			name      string
			root, key common.Hash
			nodes     [][]byte
			account   bool
		}{
			{"account", in.Lane.Header.Root, keys.AccountKey, nodes(in.Lane.AccountProof), true},
			{"word", in.Lane.StorageRoot, keys.WordKey, nodes(word.Proof), false},
			{"accumulator", in.Lane.StorageRoot, keys.AccKey, nodes(acc.Proof), false},
		} {
			value, walk, err := mpt.VerifyNative(pr.root, pr.key[:], pr.nodes)
			if err != nil {
				return nil, fmt.Errorf("%s, %s proof: %w", label, pr.name, err)
			}
			if err := steps(label+", "+pr.name, pr.root, pr.key, walk, value, pr.account, len(walk)); err != nil {
				return nil, err
			}
		}
		a, v, err := leaf.AssignLaneLeaf(c, hdr, in.Lane.StorageRoot, word.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		add(KindLane, label+", lane", a, v)
		p.Statement.Lanes = append(p.Statement.Lanes, c)
	}

	// Claims by receipt: lanes, then events (the statement's order).
	var events []protocol.EventClaim
	for _, lanes := range []bool{true, false} {
		for i := range b.Receipts {
			in := &b.Receipts[i]
			if (in.Outbox != common.Address{}) != lanes {
				continue
			}
			label := fmt.Sprintf("receipt claim %d", i)
			if in.Proof == nil || in.Proof.Header == nil {
				return nil, fmt.Errorf("%s: no receipt proof", label)
			}
			lane, event, err := in.Claim()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			h := in.Proof.Header
			hdr, err := header(label, in.Proof.SrcDomain, h, in.Committee, in.Signatures)
			if err != nil {
				return nil, err
			}
			// A receipt leaf past what the chunks read (a send of the Outbox's largest
			// payloads): the relay proves that lane by storage.
			for _, n := range in.Proof.Nodes {
				if len(n) > leaf.MaxChunkedNode {
					return nil, fmt.Errorf("%s: %w: a %d-byte receipt leaf, the chunks read at most %d", label, ErrReceiptTooLarge, len(n), leaf.MaxChunkedNode)
				}
			}
			enc, _ := rlp.EncodeToBytes(uint64(in.Proof.TxIndex))
			_, walk, err := mpt.VerifyNative(h.ReceiptHash, enc, nodes(in.Proof.Nodes))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			key, _, err := leaf.ReceiptKey(uint64(in.Proof.TxIndex))
			if err != nil {
				return nil, err
			}
			if err := steps(label+", receipts", h.ReceiptHash, key, walk, nil, false, len(walk)-1); err != nil {
				return nil, err
			}
			lp, err := receiptLog(label, h.ReceiptHash, int(in.Proof.TxIndex), walk, int(in.Proof.LogIndex), event != nil)
			if err != nil {
				return nil, err
			}
			ca, cv, err := leaf.AssignReceiptClaimLeaf(lane, event, hdr, lp)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			add(KindReceiptClaim, label+", claim", ca, cv)
			if lane != nil {
				p.Statement.Lanes = append(p.Statement.Lanes, *lane)
			} else {
				events = append(events, *event)
			}
		}
	}
	p.Statement.Events = events

	for i := range b.Rotations {
		r := &b.Rotations[i]
		a, v, err := leaf.AssignRotationLeaf(r.Claim, r.Committee, r.Signatures, committeeCapacity)
		if err != nil {
			return nil, fmt.Errorf("rotation %d: %w", i, err)
		}
		add(KindRotation, fmt.Sprintf("rotation %d", i), a, v)
		p.Statement.Rotations = append(p.Statement.Rotations, r.Claim)
	}
	for i := range b.SyncRotations {
		in := &b.SyncRotations[i]
		label := fmt.Sprintf("sync rotation %d", i)
		if b.Sync == nil || in.Update == nil || in.Update.Committee == nil {
			return nil, fmt.Errorf("%s: a sync-committee rotation needs its update, the update's committee and a beacon chain configured", label)
		}
		if b.Sync.Runs > 0 {
			if err := handOverInRuns(label, b.Sync, in, syncPieces, add, &p.Statement); err != nil {
				return nil, err
			}
			continue
		}
		l, err := leaf.AssignSyncRotation(b.Sync.Beacon, in.SrcDomain, in.Update, b.Sync.ChunkKeys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		syncPieces(label, l.Update)
		for j, c := range l.Chunks {
			add(SyncChunkKind(b.Sync.ChunkKeys), fmt.Sprintf("%s, chunk %d of %d", label, j+1, len(l.Chunks)), c, l.ChunkValues[j])
		}
		for j, n := range l.Tree {
			add(KindSyncTree, fmt.Sprintf("%s, key tree node %d of %d", label, j+1, len(l.Tree)), n, l.TreeValues[j])
		}
		add(SyncNextKind(l.NextRules.Fork.Name, len(in.Update.Next.Pubkeys)), label+", next committee root", l.Next, l.NextValues)
		add(SyncRotationKind(in.SrcDomain), label+", claim", l.Rotation, l.RotationFact)
		p.Statement.Rotations = append(p.Statement.Rotations, l.Claim)
	}
	if err := p.Statement.Validate(); err != nil {
		return nil, err
	}

	// The statement chain: three claims a fold, the last fold exporting the statement.
	hashes := p.Statement.ClaimHashes()
	if len(hashes) == 0 {
		return nil, errors.New("universal plan: a batch of no claim")
	}
	prev := protocol.ChainGenesis
	for j := 0; j < len(hashes); j += protocol.ClaimsPerFold {
		group := hashes[j:min(j+protocol.ClaimsPerFold, len(hashes))]
		last := j+protocol.ClaimsPerFold >= len(hashes)
		a, v, next, err := leaf.AssignFoldLeaf(prev, group, last)
		if err != nil {
			return nil, err
		}
		add(KindFold, fmt.Sprintf("fold %d", j/protocol.ClaimsPerFold), a, v)
		prev = next
	}
	p.Chain = prev
	return p, nil
}

// handOverInRuns plans a hand-over over several batches (u.Runs runs): the first run whose
// key-run claim the Inbox lacks (in.Recorded), its chunks, key-tree nodes and claim; or, with
// every run recorded, the update's first four leaves, the root over the runs and the
// hand-over claim naming them.
func handOverInRuns(label string, u *SyncConfig, in *SyncRotationInput, syncPieces func(string, *leaf.SyncUpdateLeaves),
	add func(kind, label string, a frontend.Circuit, v facts.Values), s *protocol.Statement) error {
	l, err := leaf.AssignSyncHandOver(u.Beacon, in.SrcDomain, in.Update, u.ChunkKeys, u.Runs)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	for i, r := range l.Runs {
		recorded := false
		if in.Recorded != nil {
			if recorded, err = in.Recorded(r.Fact); err != nil {
				return fmt.Errorf("%s, key run %d: %w", label, i, err)
			}
		}
		if recorded {
			continue
		}
		run := fmt.Sprintf("%s, key run %d of %d", label, i+1, len(l.Runs))
		for j, c := range r.Chunks {
			add(SyncChunkKind(u.ChunkKeys), fmt.Sprintf("%s, chunk %d of %d", run, j+1, len(r.Chunks)), c, r.ChunkValues[j])
		}
		for j, n := range r.Tree {
			add(KindSyncTree, fmt.Sprintf("%s, key tree node %d of %d", run, j+1, len(r.Tree)), n, r.TreeValues[j])
		}
		add(KindSyncKeyRun, run+", claim", r.Claim, r.ClaimValues)
		s.KeyRuns = append(s.KeyRuns, r.Fact)
		return nil
	}
	syncPieces(label, l.Update)
	add(SyncNextRunsKind(l.NextRules.Fork.Name, len(in.Update.Next.Pubkeys), u.Runs), label+", next committee root over its runs", l.Next, l.NextValues)
	add(SyncHandOverKind(in.SrcDomain, u.Runs), label+", hand-over claim", l.HandOver, l.HandOverValues)
	s.Rotations = append(s.Rotations, l.Claim)
	return nil
}

// Values are the plan's leaves' facts, and each leaf's kind as its index in kinds (the
// allow-list's order), for universal.Link.
func (p *Plan) Values(kinds []string) ([]facts.Values, []int, error) {
	index := map[string]int{}
	for i, k := range kinds {
		index[k] = i
	}
	values := make([]facts.Values, len(p.Leaves))
	ks := make([]int, len(p.Leaves))
	for i, l := range p.Leaves {
		k, ok := index[l.Kind]
		if !ok && (l.Kind == KindReceiptChunk || l.Kind == KindReceiptData || l.Kind == KindReceiptTail) {
			return nil, nil, fmt.Errorf("%w: leaf %s: the receipt is proven in pieces, and kind %s is not in the list", ErrReceiptTooLarge, l.Label, l.Kind)
		}
		if !ok {
			return nil, nil, fmt.Errorf("leaf %s: kind %s is not in the list", l.Label, l.Kind)
		}
		values[i], ks[i] = l.Facts, k
	}
	return values, ks, nil
}
