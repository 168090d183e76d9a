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
)

// UniversalCircuits are the placeholders of the universal kinds' circuits, by name, the fold
// (the export kind) first in Kinds.
func UniversalCircuits() (kinds []string, circuits map[string]frontend.Circuit) {
	return []string{KindFold, KindHeader, KindStep, KindLane, KindRotation, KindReceiptLog, KindReceiptClaim}, map[string]frontend.Circuit{
		KindFold: &leaf.FoldLeaf{}, KindHeader: leaf.NewHeaderLeaf(universalCapacity), KindStep: &leaf.StepLeaf{},
		KindLane: &leaf.LaneLeaf{}, KindRotation: leaf.NewRotationLeaf(universalCapacity),
		KindReceiptLog: leaf.NewReceiptLogLeaf(leaf.ReceiptNodeLen, leaf.ReceiptMaxData), KindReceiptClaim: &leaf.ReceiptClaimLeaf{},
	}
}

// universalCapacity is the committee capacity of the universal kinds' header and rotation
// leaves.
const universalCapacity = 4

// UniversalLeaf is one leaf proof a batch of the universal aggregation needs: its kind, its
// circuit's assignment and its facts.
type UniversalLeaf struct {
	Kind       string
	Label      string
	Assignment frontend.Circuit
	Facts      facts.Values
}

// UniversalPlan is a batch planned for the universal aggregation: its statement and its
// leaves, in no particular order (universal.Link orders them by their facts).
type UniversalPlan struct {
	Statement protocol.Statement
	Leaves    []UniversalLeaf
}

// ErrNotUniversal: a claim of a kind the universal aggregation has no leaf kind for yet.
var ErrNotUniversal = errors.New("no universal leaf kind for the claim")

// PlanUniversal checks a batch natively and plans its leaves for the universal aggregation:
// for each lane claim proven by storage its block's header leaf, the state steps of its three
// proofs and its lane leaf; for each claim by receipt its block's header leaf, the
// receipts-trie steps, its log leaf and its claim leaf; a rotation leaf a rotation; and the
// folds of the statement's claims, three a fold, the last one exporting the statement. A leaf
// another already plans (the same kind producing the same fact) is planned once: claims at one
// block share its header leaf, lanes of one Outbox at one block the account's steps. Claims
// under Ethereum's sync committee have no kinds yet (ErrNotUniversal).
func PlanUniversal(b Batch) (*UniversalPlan, error) {
	if len(b.SyncRotations) > 0 {
		return nil, fmt.Errorf("%w: a sync-committee rotation", ErrNotUniversal)
	}
	p := &UniversalPlan{}
	seen := map[string]bool{}
	add := func(kind, label string, a frontend.Circuit, v facts.Values) {
		key := kind + "/" + v.Produced.String()
		if seen[key] {
			return
		}
		seen[key] = true
		p.Leaves = append(p.Leaves, UniversalLeaf{kind, label, a, v})
	}
	header := func(label string, src uint32, h *types.Header, c committee.Committee, sigs map[int]*eddsanative.Signature) (*leaf.HeaderPublic, error) {
		enc, err := rlp.EncodeToBytes(h)
		if err != nil {
			return nil, fmt.Errorf("%s: header: %w", label, err)
		}
		a, pub, v, err := leaf.AssignHeaderLeaf(src, enc, c, sigs, universalCapacity)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		add(KindHeader, label+", header", a, v)
		return pub, nil
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
		if in.Sync != nil {
			return nil, fmt.Errorf("%w: %s is under Ethereum's sync committee", ErrNotUniversal, label)
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
		hdr, err := header(label, in.Lane.SrcDomain, in.Lane.Header, in.Committee, in.Signatures)
		if err != nil {
			return nil, err
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
			la, lp, lv, err := leaf.AssignReceiptLogLeaf(h.ReceiptHash, int(in.Proof.TxIndex), walk, int(in.Proof.LogIndex), leaf.ReceiptNodeLen, leaf.ReceiptMaxData)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			add(KindReceiptLog, label+", log", la, lv)
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
		a, v, err := leaf.AssignRotationLeaf(r.Claim, r.Committee, r.Signatures, universalCapacity)
		if err != nil {
			return nil, fmt.Errorf("rotation %d: %w", i, err)
		}
		add(KindRotation, fmt.Sprintf("rotation %d", i), a, v)
		p.Statement.Rotations = append(p.Statement.Rotations, r.Claim)
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
	return p, nil
}

// Values are the plan's leaves' facts, and each leaf's kind as its index in kinds (the
// allow-list's order), for universal.Link.
func (p *UniversalPlan) Values(kinds []string) ([]facts.Values, []int, error) {
	index := map[string]int{}
	for i, k := range kinds {
		index[k] = i
	}
	values := make([]facts.Values, len(p.Leaves))
	ks := make([]int, len(p.Leaves))
	for i, l := range p.Leaves {
		k, ok := index[l.Kind]
		if !ok {
			return nil, nil, fmt.Errorf("leaf %s: kind %s is not in the list", l.Label, l.Kind)
		}
		values[i], ks[i] = l.Facts, k
	}
	return values, ks, nil
}
