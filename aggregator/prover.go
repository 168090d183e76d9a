package aggregator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/circuits/wrap"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// SmallSizes and LargeSizes are the universal aggregation's two sizes every
// deployment uses, of one allow-list of up to 32 leaf kinds: 4 leaf proofs of up to 4 kinds
// (a rotation, a head of few steps: a cheap key, a fast proof), and 32 of up to 16: a lane
// by storage at mainnet depth (~20 leaves, 4 kinds), a lane under Ethereum's sync committee
// with its hand-over (26 leaves, 12 kinds), heads of several lanes (a 2^21 BW6-761 domain).
// The one wrap takes either (wrap.KeyedCircuit).
var (
	SmallSizes = universal.Sizes{Slots: 4, Kinds: 32, Keys: 4}
	LargeSizes = universal.Sizes{Slots: 32, Kinds: 32, Keys: 16}
)

// DefaultConfig is the config of a deployment of attester committees (the devnet's): every
// attester-committee kind, both aggregation sizes.
func DefaultConfig() Config {
	return Config{Sizes: []universal.Sizes{SmallSizes, LargeSizes}}
}

// AggregateName is the key store's name of the universal aggregation of sizes z.
func AggregateName(z universal.Sizes) string {
	return fmt.Sprintf("universal-%dx%dx%d", z.Slots, z.Kinds, z.Keys)
}

// WrapName is the key store's name of the one wrap (wrap.KeyedCircuit): its key
// serves every aggregation size and every allow-list, which its Config input names.
const WrapName = "wrap"

// Config is a deployment's universal circuits: the aggregation's sizes, and the
// kinds its allow-list holds beside the attester-committee kinds (CommitteeKinds).
type Config struct {
	// Sizes are the aggregation's sizes, one to wrap.AggregationKeys, fewest slots first, of
	// one allow-list capacity: a batch takes the first whose slots and key table hold it.
	Sizes []universal.Sizes
	// Committee, if set, are the attester-committee kinds the allow-list holds, a subset of
	// CommitteeKinds' in their order (the fold first); by default all of them. A
	// deployment that never takes a kind leaves it out and never sets its key up.
	Committee []string
	// Sync, if set, adds the kinds of updates of a beacon chain's sync committee.
	Sync *SyncConfig
}

// Check refuses a config whose kinds are not known, or whose sizes the one wrap cannot take
// together.
func (c Config) Check() error {
	if _, _, err := c.Kinds(); err != nil {
		return err
	}
	if len(c.Sizes) == 0 || len(c.Sizes) > wrap.AggregationKeys {
		return fmt.Errorf("%d aggregation sizes, want 1 to %d", len(c.Sizes), wrap.AggregationKeys)
	}
	for i, z := range c.Sizes {
		if _, err := universal.New(z); err != nil {
			return err
		}
		if z.Kinds != c.Sizes[0].Kinds {
			return fmt.Errorf("aggregation sizes of allow-lists of %d and %d kinds: one list serves them all", c.Sizes[0].Kinds, z.Kinds)
		}
		if i > 0 && z.Slots <= c.Sizes[i-1].Slots {
			return fmt.Errorf("aggregation sizes of %d then %d slots: fewest first, each larger", c.Sizes[i-1].Slots, z.Slots)
		}
	}
	return nil
}

// size is the index of the first size that holds n leaves of k kinds.
func (c Config) size(n, k int) (int, error) {
	for i, z := range c.Sizes {
		if n <= z.Slots && k <= z.Keys {
			return i, nil
		}
	}
	last := c.Sizes[len(c.Sizes)-1]
	return 0, fmt.Errorf("%w: %d leaves of %d kinds, the largest aggregation has %d slots and %d keys", ErrTooManyLeaves, n, k, last.Slots, last.Keys)
}

// Kinds are the config's kinds by name, in allow-list order (the fold first), and their
// placeholders.
func (c Config) Kinds() ([]string, map[string]frontend.Circuit, error) {
	names, circuits := CommitteeKinds()
	if c.Committee != nil {
		if len(c.Committee) == 0 || c.Committee[0] != KindFold {
			return nil, nil, fmt.Errorf("the committee kinds %v: the fold (%s) first", c.Committee, KindFold)
		}
		at := map[string]int{}
		for i, n := range names {
			at[n] = i
		}
		for i, n := range c.Committee {
			if _, ok := at[n]; !ok {
				return nil, nil, fmt.Errorf("%w %q among the committee kinds (%s)", ErrNoCircuit, n, strings.Join(names, ", "))
			}
			if i > 0 && at[n] <= at[c.Committee[i-1]] {
				return nil, nil, fmt.Errorf("the committee kinds %v: not in the order of %v", c.Committee, names)
			}
		}
		picked := map[string]frontend.Circuit{}
		for _, n := range c.Committee {
			picked[n] = circuits[n]
		}
		names, circuits = append([]string(nil), c.Committee...), picked
	}
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

// Prover proves any batch with one aggregation and one wrap: each leaf under the
// key of its kind, every kind's key in the allow-list, the aggregation of the first size
// that holds the batch, and the wrap whose Config (the list's root and the aggregation keys)
// the generated verifier fixes. Kinds are in the list's order, the fold (the export kind)
// first.
type Prover struct {
	runner
	Config     Config
	Kinds      []*Circuit
	List       *universal.AllowList
	Aggregates []*Circuit // by size, as the config's
	Wrap       *Circuit
	// WrapConfig is the wrap's Config input: Poseidon2(the list's root, the aggregation
	// keys' hashes).
	WrapConfig *big.Int

	set *CircuitSet // compiles a job's circuit
}

// NewProver compiles the config's kinds, its aggregations and the wrap, and loads
// their verifying keys from the store, running the Groth16 setup of those it lacks (minutes
// each; the store logs an estimate). A new kind changes the allow-list's root, and a new
// aggregation size the wrap's Config, not the wrap's key. It keeps no constraint system: a
// job compiles its circuit again (seconds), and the prover holds one at a time, so that a
// process proving batches holds one circuit's memory, not every kind's.
func NewProver(store *prover.Store, cfg Config, log *slog.Logger) (*Prover, error) {
	return newProver(store, cfg, log, true)
}

// OpenProver is NewProver over stored keys only: it runs no setup, and names the first
// circuit whose keys the store lacks (prover.ErrNotFound). A command that generates or
// deploys the verifier opens the prover; one that proves makes it.
func OpenProver(store *prover.Store, cfg Config, log *slog.Logger) (*Prover, error) {
	return newProver(store, cfg, log, false)
}

func newProver(store *prover.Store, cfg Config, log *slog.Logger, setup bool) (*Prover, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	p := &Prover{Config: cfg, runner: runner{log: log, store: store}}
	p.source = p
	p.set = &CircuitSet{Store: store, Config: cfg, Log: log}
	names, err := p.set.Names()
	if err != nil {
		return nil, err
	}
	aggregates := map[string]bool{}
	for _, z := range cfg.Sizes {
		aggregates[AggregateName(z)] = true
	}
	for _, name := range names {
		field, placeholder, err := p.set.placeholder(name)
		if err != nil {
			return nil, err
		}
		ccs, err := compile(log, name, field, placeholder)
		if err != nil {
			return nil, err
		}
		var c *Circuit
		if setup {
			c, err = load(store, name, ccs)
		} else {
			c, err = stored(store, name, ccs)
		}
		if err != nil {
			return nil, err
		}
		if err := p.set.know(name, c.Keys.Manifest.Digest, ccs); err != nil {
			log.Warn("the compiled circuit is not stored beside its keys: a job compiles it again", "circuit", name, "err", err)
		}
		c.CCS = nil // a job reads it back (or compiles it again): the prover holds no constraint system
		runtime.GC()
		switch {
		case aggregates[name]:
			p.Aggregates = append(p.Aggregates, c)
		case name == WrapName:
			p.Wrap = c
		default:
			p.Kinds = append(p.Kinds, c)
		}
	}
	if err := p.setList(); err != nil {
		return nil, err
	}
	debug.FreeOSMemory()
	return p, nil
}

// setList makes the allow-list of the prover's kinds' keys, in order, and the wrap's
// Config for it and the prover's aggregations.
func (p *Prover) setList() error {
	vks := make([]groth16.VerifyingKey, len(p.Kinds))
	for i, c := range p.Kinds {
		vks[i] = c.Keys.VK
	}
	var err error
	if p.List, err = universal.NewAllowList(p.Config.Sizes[0].Kinds, vks...); err != nil {
		return err
	}
	if len(p.Aggregates) == 0 {
		return nil // a prover of leaves only (tests)
	}
	p.WrapConfig, _, err = wrap.KeyedConfig(p.List.Root(), p.aggregationKeys()...)
	return err
}

// aggregationKeys are the prover's aggregations' verifying keys, by size.
func (p *Prover) aggregationKeys() []groth16.VerifyingKey {
	keys := make([]groth16.VerifyingKey, len(p.Aggregates))
	for i, c := range p.Aggregates {
		keys[i] = c.Keys.VK
	}
	return keys
}

// Circuits lists the prover's circuits: the kinds, the aggregations, the wrap.
func (p *Prover) Circuits() []*Circuit {
	return append(append(append([]*Circuit{}, p.Kinds...), p.Aggregates...), p.Wrap)
}

// Names are the names of the prover's circuits, as workers serve them.
func (p *Prover) Names() []string {
	var names []string
	for _, c := range p.Circuits() {
		names = append(names, c.Name)
	}
	return names
}

// Development names the prover's circuits whose keys are development keys (one party's
// local randomness), which a deployment where value is at stake must not take.
func (p *Prover) Development() []string {
	var names []string
	for _, c := range p.Circuits() {
		if c.Keys.Manifest.Development {
			names = append(names, c.Name)
		}
	}
	return names
}

// Circuit is the prover's circuit of that name, compiled (a CircuitSource): its circuit set
// compiles it (or reads it back), holding one at a time, unless the prover holds it compiled
// (a kind added to a prover in a test).
func (p *Prover) Circuit(name string) (*Circuit, error) { return p.CircuitOf(name, "") }

// CircuitOf is Circuit for a job that names its circuit's digest (CircuitSet.CircuitOf).
func (p *Prover) CircuitOf(name, digest string) (*Circuit, error) {
	for _, c := range p.Circuits() {
		if c != nil && c.Name == name && c.CCS != nil {
			return c, nil
		}
	}
	if p.set == nil {
		return nil, fmt.Errorf("%w %q", ErrNoCircuit, name)
	}
	return p.set.CircuitOf(name, digest)
}

// Dispatch has exec prove the prover's jobs from now on and lets go of its compiled
// circuit (Prover.Dispatch).
func (p *Prover) Dispatch(exec Executor) {
	if p.set != nil {
		p.set.release()
	}
	p.dispatch(exec, p.Circuits())
}

// Verifier is the Solidity verifier of the wrap key for the prover's Config, compiled. Once
// compiled it is kept beside the wrap's keys (VerifierFile, its checksum in their manifest),
// so that deploying it needs neither the Solidity compiler nor the source tree; a kept one
// is taken only if its source is the one the wrap key and the config give now. Else it is
// compiled with the pinned compiler (verifier.ContractsDir) and kept, its source beside it
// as Verifier.sol.
func (p *Prover) Verifier() (*verifier.Compiled, error) {
	var src bytes.Buffer
	if err := verifier.ExportSolidity(p.Wrap.Keys.VK, p.WrapConfig, &src); err != nil {
		return nil, err
	}
	file := p.VerifierFile()
	data, err := p.store.Attached(p.Wrap.Keys, file)
	switch {
	case err == nil:
		var c verifier.Compiled
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("%s kept with the wrap key: %w", file, err)
		}
		if c.Source == src.String() && len(c.Bytecode) > 0 {
			return &c, nil
		}
		p.log.Warn("the verifier kept with the wrap key is not the one its key and config give: compiling it again", "file", file)
	case !errors.Is(err, prover.ErrNotFound):
		return nil, err
	}
	dir, err := verifier.ContractsDir()
	if err != nil {
		return nil, fmt.Errorf("the verifier of config %s is not compiled beside the wrap key in %s, and it cannot be compiled here: %w "+
			"(compile it once where the pinned compiler is installed, e.g. `isthmus setup` in the repository after `make deps`)", p.WrapConfig, p.store.Dir, err)
	}
	c, err := verifier.Compile(dir, p.Wrap.Keys.VK, p.WrapConfig)
	if err != nil {
		return nil, err
	}
	if data, err = json.Marshal(c); err != nil {
		return nil, err
	}
	if err := p.store.Attach(p.Wrap.Keys, file, data); err != nil {
		return nil, err
	}
	if err := p.store.Attach(p.Wrap.Keys, "Verifier.sol", []byte(c.Source)); err != nil {
		return nil, err
	}
	return c, nil
}

// VerifierFile is the name of the compiled verifier of the prover's config beside the wrap's
// keys.
func (p *Prover) VerifierFile() string {
	return "verifier-" + fmt.Sprintf("%064x", p.WrapConfig)[:16] + ".json"
}

// kind is the prover's circuit of a kind's name.
func (p *Prover) kind(name string) (*Circuit, error) {
	for _, c := range p.Kinds {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: no kind %q in the allow-list", ErrNoCircuit, name)
}

// Leaves are a batch's leaf proofs for the universal aggregation, with the
// statement they prove and its chain.
type Leaves struct {
	Statement protocol.Statement
	Chain     common.Hash
	Size      int // the index of the aggregation's size in the config
	Leaves    []universal.Leaf
}

// Prove proves a batch: its leaves, their aggregation, the wrap. Each proof is checked
// natively as it comes; out.PublicInput is the statement chain's input.
func (p *Prover) Prove(ctx context.Context, b Batch) (*BatchProof, error) {
	plan, err := p.plan(b)
	if err != nil {
		return nil, err
	}
	return p.ProvePlanned(ctx, plan)
}

// ProvePlanned proves a planned batch (PlanBatch, Fit) through every layer.
func (p *Prover) ProvePlanned(ctx context.Context, plan *Plan) (*BatchProof, error) {
	out := &BatchProof{}
	leaves, err := p.ProvePlan(ctx, plan, out)
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

// ProveLeaves plans a batch (PlanBatch, under the config's beacon chain) and proves its
// leaves.
func (p *Prover) ProveLeaves(ctx context.Context, b Batch, out *BatchProof) (*Leaves, error) {
	plan, err := p.plan(b)
	if err != nil {
		return nil, err
	}
	return p.ProvePlan(ctx, plan, out)
}

// plan plans a batch under the config's beacon chain.
func (p *Prover) plan(b Batch) (*Plan, error) {
	if b.Sync == nil {
		b.Sync = p.Config.Sync
	}
	return PlanBatch(b)
}

// check checks a plan before any proof: its chain is its statement's, its leaves are of
// the allow-list's kinds and link, and they fit an aggregation, whose size it returns with
// each leaf's kind (an index into the list).
func (p *Prover) check(plan *Plan) (size int, kinds []int, err error) {
	if hashes := plan.Statement.ClaimHashes(); len(hashes) > 0 && protocol.ChainStatement(hashes) != plan.Chain {
		return 0, nil, fmt.Errorf("the plan's chain %s is not its statement's", plan.Chain)
	}
	names := make([]string, len(p.Kinds))
	for i, c := range p.Kinds {
		names[i] = c.Name
	}
	values, kinds, err := plan.Values(names)
	if err != nil {
		return 0, nil, err
	}
	distinct := map[int]bool{}
	for _, k := range kinds {
		distinct[k] = true
	}
	if size, err = p.Config.size(len(plan.Leaves), len(distinct)); err != nil {
		return 0, nil, err
	}
	if _, err := universal.Link(values, kinds); err != nil {
		return 0, nil, err
	}
	return size, kinds, nil
}

// Fit plans the part of b that one batch proof holds, checked (no proof): b itself when it
// fits an aggregation; else, when b carries rotations, its rotations alone (a hand-over goes
// first: the claims after it are proven under the next committee); else b with its lane
// claims by storage cut from the end to the most that fit. Its plan's statement says which
// claims it kept; ProvePlanned proves it without planning it again. It refuses a batch of
// which no part fits.
func (p *Prover) Fit(b Batch) (*Plan, error) {
	fits := func(b Batch) (*Plan, error) {
		plan, err := p.plan(b)
		if err != nil {
			return nil, err
		}
		if _, _, err = p.check(plan); err != nil {
			return nil, err
		}
		return plan, nil
	}
	plan, err := fits(b)
	if !errors.Is(err, ErrTooManyLeaves) {
		return plan, err
	}
	if len(b.Rotations)+len(b.SyncRotations) > 0 && len(b.Claims)+len(b.Receipts) > 0 {
		return p.Fit(Batch{Sync: b.Sync, Rotations: b.Rotations, SyncRotations: b.SyncRotations})
	}
	for n := len(b.Claims) - 1; n > 0; n-- {
		c := b
		c.Claims = b.Claims[:n]
		if plan, cerr := fits(c); !errors.Is(cerr, ErrTooManyLeaves) {
			return plan, cerr
		}
	}
	return nil, err
}

// ProvePlan proves a plan's leaves: each under its kind's key, after checking that they fit
// an aggregation and link.
func (p *Prover) ProvePlan(ctx context.Context, plan *Plan, out *BatchProof) (*Leaves, error) {
	size, kinds, err := p.check(plan)
	if err != nil {
		return nil, err
	}
	// The leaves by kind, in the list's order: each kind's circuit compiled and its proving
	// key loaded once a batch.
	order := make([]int, len(plan.Leaves))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return kinds[order[a]] < kinds[order[b]] })
	tasks := make([]task, len(plan.Leaves))
	for i, j := range order {
		l := plan.Leaves[j]
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
	ul := &Leaves{Statement: plan.Statement, Chain: plan.Chain, Size: size, Leaves: make([]universal.Leaf, len(proofs))}
	for i, l := range proofs {
		ul.Leaves[i] = universal.Leaf{Key: tasks[i].circuit.Keys.VK, Proof: l.Proof, Public: l.Public}
	}
	return ul, nil
}

// AggregationAssignment is the assignment of the leaves' aggregation (of their size); it
// checks that the leaves export the statement's chain.
func (p *Prover) AggregationAssignment(l *Leaves) (frontend.Circuit, error) {
	if l.Size < 0 || l.Size >= len(p.Config.Sizes) {
		return nil, fmt.Errorf("leaves for aggregation size %d of %d", l.Size, len(p.Config.Sizes))
	}
	a, statement, err := universal.Assign(p.Config.Sizes[l.Size], p.List, l.Leaves)
	if err != nil {
		return nil, err
	}
	if want := facts.StatementOf(l.Chain); statement.Cmp(want) != 0 {
		return nil, fmt.Errorf("the leaves export the statement %x, the batch's is %x", statement, want)
	}
	return a, nil
}

// ProveAggregation proves the aggregation of a batch's leaves: the proof, with the key of
// the aggregation that made it.
func (p *Prover) ProveAggregation(ctx context.Context, l *Leaves, out *BatchProof) (universal.Leaf, error) {
	a, err := p.AggregationAssignment(l)
	if err != nil {
		return universal.Leaf{}, err
	}
	c := p.Aggregates[l.Size]
	proof, err := p.single(ctx, out, "aggregation", c, a)
	return universal.Leaf{Key: c.Keys.VK, Proof: proof.Proof, Public: proof.Public}, err
}

// ProveWrap wraps an aggregation proof for the generated verifier into out.Proof.
func (p *Prover) ProveWrap(ctx context.Context, agg universal.Leaf, out *BatchProof) error {
	a, err := wrap.AssignKeyed(agg.Key, p.aggregationKeys(), agg.Proof, agg.Public)
	if err != nil {
		return err
	}
	if a.Config.(*big.Int).Cmp(p.WrapConfig) != 0 {
		return fmt.Errorf("the wrap's config %x is not the prover's %x", a.Config, p.WrapConfig)
	}
	final, err := p.single(ctx, out, "wrap", p.Wrap, a)
	out.Proof = final.Proof
	return err
}

// CircuitSet is a CircuitSource of a universal config's circuits for a worker: it
// compiles a circuit when a job asks for it, with its stored verifying key, and holds one
// at a time. It runs no setup: the keys come from the store (or its object store).
type CircuitSet struct {
	Store  *prover.Store
	Config Config
	Log    *slog.Logger

	extra map[string]func() frontend.Circuit // kinds beside the config's (tests)
	mu    sync.Mutex
	last  *Circuit
	// digests are the digests of the circuits this process compiled (NewProver): their
	// compiled systems, stored beside their keys, are read back rather than compiled again.
	digests map[string]string
}

// know records the digest a circuit compiled to in this process and stores its compiled
// system beside its keys (once a machine), for Circuit to read back.
func (s *CircuitSet) know(name, digest string, ccs constraint.ConstraintSystem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.digests == nil {
		s.digests = map[string]string{}
	}
	s.digests[name] = digest
	return s.Store.PutCompiled(name, digest, ccs)
}

// Names are the config's circuits, kinds first, as a worker serves them.
func (s *CircuitSet) Names() ([]string, error) {
	names, _, err := s.Config.Kinds()
	if err != nil {
		return nil, err
	}
	for _, z := range s.Config.Sizes {
		names = append(names, AggregateName(z))
	}
	return append(names, WrapName), nil
}

// placeholder is the circuit of that name to compile, and its field.
func (s *CircuitSet) placeholder(name string) (*big.Int, frontend.Circuit, error) {
	if name == WrapName {
		return bn254, wrap.NewKeyed(), nil
	}
	for _, z := range s.Config.Sizes {
		if name == AggregateName(z) {
			c, err := universal.New(z)
			return bw6761, c, err
		}
	}
	if mk, ok := s.extra[name]; ok {
		return bls12377, mk(), nil
	}
	_, kinds, err := s.Config.Kinds() // anew: an emulated circuit keeps state from one compile
	if err != nil {
		return nil, nil, err
	}
	c, ok := kinds[name]
	if !ok {
		names, _ := s.Names()
		return nil, nil, fmt.Errorf("%w %q (the circuits: %s)", ErrNoCircuit, name, strings.Join(names, ", "))
	}
	return bls12377, c, nil
}

// Compile compiles the circuit of that name alone, without keys (a ceremony makes them).
func (s *CircuitSet) Compile(name string) (constraint.ConstraintSystem, error) {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	field, circuit, err := s.placeholder(name)
	if err != nil {
		return nil, err
	}
	return compile(log, name, field, circuit)
}

// release lets go of the circuit compiled last.
func (s *CircuitSet) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = nil
	runtime.GC()
}

// Circuit compiles the circuit of that name with its stored verifying key, unless it is the
// one compiled last, or reads it back where this process compiled it before (CircuitOf).
func (s *CircuitSet) Circuit(name string) (*Circuit, error) { return s.CircuitOf(name, "") }

// CircuitOf is Circuit for a job that names the digest its dispatcher compiled the circuit
// to (with none, the digest this process compiled it to, if it did: NewProver): the
// compiled system of that digest, where the key store holds it beside its keys (checked
// against the digest), is read in seconds rather than compiled (the wrap: 2 s against 44).
// Otherwise it compiles the circuit, and stores what it compiled beside its keys.
func (s *CircuitSet) CircuitOf(name, digest string) (*Circuit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if digest == "" {
		digest = s.digests[name]
	}
	if s.last != nil && s.last.Name == name && (digest == "" || s.last.Keys.Manifest.Digest == digest) {
		return s.last, nil
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	field, circuit, err := s.placeholder(name)
	if err != nil {
		return nil, err
	}
	s.last = nil
	runtime.GC()
	var ccs constraint.ConstraintSystem
	if digest != "" {
		start := time.Now()
		if ccs, err = s.Store.Compiled(name, digest); err != nil {
			if !errors.Is(err, prover.ErrNotFound) {
				log.Warn("compiling: the stored compiled circuit is not usable", "circuit", name, "err", err)
			}
			ccs = nil
		} else {
			log.Info("compiled circuit read from the key store", "circuit", name, "constraints", ccs.GetNbConstraints(), "seconds", time.Since(start).Seconds())
		}
	}
	read := ccs != nil
	if !read {
		if ccs, err = compile(log, name, field, circuit); err != nil {
			return nil, err
		}
	}
	keys, err := s.Store.Verifying(name, ccs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !read {
		if err := s.Store.PutCompiled(name, keys.Manifest.Digest, ccs); err != nil {
			log.Warn("the compiled circuit is not stored beside its keys", "circuit", name, "err", err)
		}
	}
	curve, err := prover.CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	s.last = &Circuit{Name: name, Curve: curve, CCS: ccs, Keys: keys}
	return s.last, nil
}
