package aggregator

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/circuits/wrap"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// UniversalSizes are the universal aggregation's sizes every deployment uses: 16 leaf proofs a
// batch, an allow-list of up to 32 leaf kinds, up to 8 kinds in one batch.
var UniversalSizes = universal.Sizes{Slots: 16, Kinds: 32, Keys: 8}

// DevnetUniversal is the devnet's universal config: the attester-committee kinds.
func DevnetUniversal() UniversalConfig { return UniversalConfig{Sizes: UniversalSizes} }

// UniversalAggregateName is the key store's name of the universal aggregation of sizes z.
func UniversalAggregateName(z universal.Sizes) string {
	return fmt.Sprintf("universal-%dx%dx%d", z.Slots, z.Kinds, z.Keys)
}

// UniversalWrapName is the key store's name of the wrap of the universal aggregation of
// sizes z: the one key the generated verifier checks.
func UniversalWrapName(z universal.Sizes) string { return "wrap-" + UniversalAggregateName(z) }

// UniversalConfig is a deployment's universal circuits: the aggregation's sizes, and the
// kinds its allow-list holds beside the attester-committee kinds (UniversalCircuits).
type UniversalConfig struct {
	Sizes universal.Sizes
	// Sync, if set, adds the kinds of updates of a beacon chain's sync committee.
	Sync *UniversalSync
}

// Kinds are the config's kinds by name, in allow-list order (the fold first), and their
// placeholders.
func (c UniversalConfig) Kinds() ([]string, map[string]frontend.Circuit, error) {
	names, circuits := UniversalCircuits()
	if c.Sync != nil {
		more, mc, err := c.Sync.Circuits()
		if err != nil {
			return nil, nil, err
		}
		names = append(names, more...)
		for name, circuit := range mc {
			circuits[name] = circuit
		}
	}
	return names, circuits, nil
}

// UniversalProver proves any batch with one aggregation and one wrap: each leaf under the
// key of its kind, every kind's key in the allow-list whose root the generated verifier
// fixes. Kinds are in the list's order, the fold (the export kind) first.
type UniversalProver struct {
	runner
	Config          UniversalConfig
	Sizes           universal.Sizes
	Kinds           []*Circuit
	List            *universal.AllowList
	Aggregate, Wrap *Circuit
}

// NewUniversalProver compiles the config's kinds, the aggregation of its sizes and its wrap,
// and loads their keys from the store, running the Groth16 setup of those it lacks (minutes
// each; the store logs an estimate). A new kind changes the allow-list's root, not the
// aggregation's or the wrap's keys.
func NewUniversalProver(store *prover.Store, cfg UniversalConfig, log *slog.Logger) (*UniversalProver, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	z := cfg.Sizes
	p := &UniversalProver{Config: cfg, Sizes: z, runner: runner{log: log, store: store}}
	p.source = p
	names, circuits, err := cfg.Kinds()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		c, err := keyed(store, log, name, bls12377, circuits[name])
		if err != nil {
			return nil, err
		}
		p.Kinds = append(p.Kinds, c)
	}
	if err := p.setList(); err != nil {
		return nil, err
	}
	agg, err := universal.New(z)
	if err != nil {
		return nil, err
	}
	if p.Aggregate, err = keyed(store, log, UniversalAggregateName(z), bw6761, agg); err != nil {
		return nil, err
	}
	wr, err := wrap.NewUniversal(p.Aggregate.Keys.VK)
	if err != nil {
		return nil, err
	}
	if p.Wrap, err = keyed(store, log, UniversalWrapName(z), bn254, wr); err != nil {
		return nil, err
	}
	return p, nil
}

// setList makes the allow-list of the prover's kinds' keys, in order.
func (p *UniversalProver) setList() error {
	vks := make([]groth16.VerifyingKey, len(p.Kinds))
	for i, c := range p.Kinds {
		vks[i] = c.Keys.VK
	}
	var err error
	p.List, err = universal.NewAllowList(p.Sizes.Kinds, vks...)
	return err
}

// Circuits lists the prover's circuits: the kinds, the aggregation, the wrap.
func (p *UniversalProver) Circuits() []*Circuit {
	return append(append([]*Circuit{}, p.Kinds...), p.Aggregate, p.Wrap)
}

// Circuit is the prover's compiled circuit of that name (a CircuitSource).
func (p *UniversalProver) Circuit(name string) (*Circuit, error) {
	return circuitNamed(p.Circuits(), name)
}

// Dispatch has exec prove the prover's jobs from now on and lets go of its compiled
// circuits (Prover.Dispatch).
func (p *UniversalProver) Dispatch(exec Executor) { p.dispatch(exec, p.Circuits()) }

// Verifier generates the Solidity verifier of the wrap key for the allow-list's root,
// compiles it with the pinned compiler in contractsDir, and keeps its source with the wrap's
// keys.
func (p *UniversalProver) Verifier(contractsDir string) (*verifier.Compiled, error) {
	c, err := verifier.CompileUniversal(contractsDir, p.Wrap.Keys.VK, p.List.Root())
	if err != nil {
		return nil, err
	}
	if err := p.store.Attach(p.Wrap.Keys, "Verifier.sol", []byte(c.Source)); err != nil {
		return nil, err
	}
	return c, nil
}

// kind is the prover's circuit of a kind's name.
func (p *UniversalProver) kind(name string) (*Circuit, error) {
	for _, c := range p.Kinds {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: no kind %q in the allow-list", ErrNoCircuit, name)
}

// UniversalLeaves are a batch's leaf proofs for the universal aggregation, with the
// statement they prove and its chain.
type UniversalLeaves struct {
	Statement protocol.Statement
	Chain     common.Hash
	Leaves    []universal.Leaf
}

// Prove proves a batch: its leaves, their aggregation, the wrap. Each proof is checked
// natively as it comes; out.PublicInput is the statement chain's input.
func (p *UniversalProver) Prove(ctx context.Context, b Batch) (*BatchProof, error) {
	out := &BatchProof{}
	leaves, err := p.ProveLeaves(ctx, b, out)
	if err != nil {
		return nil, err
	}
	agg, err := p.ProveAggregation(ctx, leaves, out)
	if err != nil {
		return nil, err
	}
	if err := p.ProveWrap(ctx, agg, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ErrTooManyLeaves is returned for a batch whose leaves do not fit the aggregation's slots.
var ErrTooManyLeaves = fmt.Errorf("%w: more leaves than the aggregation's slots", ErrShape)

// ProveLeaves plans a batch (PlanUniversal, under the config's beacon chain) and proves its
// leaves.
func (p *UniversalProver) ProveLeaves(ctx context.Context, b Batch, out *BatchProof) (*UniversalLeaves, error) {
	if b.Sync == nil {
		b.Sync = p.Config.Sync
	}
	plan, err := PlanUniversal(b)
	if err != nil {
		return nil, err
	}
	return p.ProvePlan(ctx, plan, out)
}

// ProvePlan proves a plan's leaves: each under its kind's key, after checking that they fit
// the slots and link.
func (p *UniversalProver) ProvePlan(ctx context.Context, plan *UniversalPlan, out *BatchProof) (*UniversalLeaves, error) {
	if n := len(plan.Leaves); n > p.Sizes.Slots {
		return nil, fmt.Errorf("%w: %d leaves, %d slots", ErrTooManyLeaves, n, p.Sizes.Slots)
	}
	if hashes := plan.Statement.ClaimHashes(); len(hashes) > 0 && protocol.ChainStatement(hashes) != plan.Chain {
		return nil, fmt.Errorf("the plan's chain %s is not its statement's", plan.Chain)
	}
	names := make([]string, len(p.Kinds))
	for i, c := range p.Kinds {
		names[i] = c.Name
	}
	values, kinds, err := plan.Values(names)
	if err != nil {
		return nil, err
	}
	if _, err := universal.Link(values, kinds); err != nil {
		return nil, err
	}
	tasks := make([]task, len(plan.Leaves))
	for i, l := range plan.Leaves {
		c, err := p.kind(l.Kind)
		if err != nil {
			return nil, err
		}
		tasks[i] = task{stage: strings.TrimPrefix(l.Kind, "universal-"), circuit: c, label: l.Label, assignment: l.Assignment}
	}
	out.Statement, out.PublicInput = plan.Statement, protocol.ChainInput(plan.Chain)
	p.done, p.total = 0, len(tasks)+2 // the leaves, the aggregation, the wrap
	proofs, err := p.run(ctx, out, tasks)
	if err != nil {
		return nil, err
	}
	ul := &UniversalLeaves{Statement: plan.Statement, Chain: plan.Chain, Leaves: make([]universal.Leaf, len(proofs))}
	for i, l := range proofs {
		ul.Leaves[i] = universal.Leaf{Key: tasks[i].circuit.Keys.VK, Proof: l.Proof, Public: l.Public}
	}
	return ul, nil
}

// AggregationAssignment is the aggregation's assignment for a batch's leaves; it checks that
// the leaves export the statement's chain.
func (p *UniversalProver) AggregationAssignment(l *UniversalLeaves) (frontend.Circuit, error) {
	a, statement, err := universal.Assign(p.Sizes, p.List, l.Leaves)
	if err != nil {
		return nil, err
	}
	if want := facts.StatementOf(l.Chain); statement.Cmp(want) != 0 {
		return nil, fmt.Errorf("the leaves export the statement %x, the batch's is %x", statement, want)
	}
	return a, nil
}

// ProveAggregation proves the aggregation of a batch's leaves.
func (p *UniversalProver) ProveAggregation(ctx context.Context, l *UniversalLeaves, out *BatchProof) (aggregate.Leaf, error) {
	a, err := p.AggregationAssignment(l)
	if err != nil {
		return aggregate.Leaf{}, err
	}
	agg, err := p.run(ctx, out, []task{{"aggregation", p.Aggregate, "aggregation", a}})
	if err != nil {
		return aggregate.Leaf{}, fmt.Errorf("aggregation: %w", err)
	}
	return agg[0], nil
}

// ProveWrap wraps an aggregation proof for the generated verifier into out.Proof.
func (p *UniversalProver) ProveWrap(ctx context.Context, agg aggregate.Leaf, out *BatchProof) error {
	a, err := wrap.AssignUniversal(p.Aggregate.Keys.VK, agg.Proof, agg.Public)
	if err != nil {
		return err
	}
	final, err := p.run(ctx, out, []task{{"wrap", p.Wrap, "wrap", a}})
	if err != nil {
		return fmt.Errorf("wrap: %w", err)
	}
	out.Proof = final[0].Proof
	return nil
}
