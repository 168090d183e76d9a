// Package aggregator runs the proving pipeline of a batch: leaf proofs on BLS12-377 (the
// statement, each claim's header and state steps), their aggregation on BW6-761, and the
// BN254 wrap the destination's Solidity verifier checks.
package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/circuits/wrap"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// Config is a deployment's circuit set: the committee capacity of the header leaf, the
// aggregation circuit's shape and, for a shape with sync-committee slots, the beacon chain
// its sync-committee circuits serve.
type Config struct {
	CommitteeCapacity int
	Shape             aggregate.Shape
	Sync              *SyncConfig
}

// SyncConfig is what fixes the sync-committee circuits: the beacon chain (its committee size,
// slots and forks), the fork the aggregation serves, and how a rotation splits the next
// committee (chunks of ChunkKeys keys, key-tree nodes of Width children).
type SyncConfig struct {
	Beacon           synccommittee.Config
	Fork             string
	ChunkKeys, Width int
}

// rules are the sync config's fork rules.
func (s *SyncConfig) rules() (synccommittee.ForkRules, error) { return s.Beacon.Rules(s.Fork) }

// rotationKeys is the rotation's layout with no keys.
func (s *SyncConfig) rotationKeys() *aggregate.SyncRotationKeys {
	return &aggregate.SyncRotationKeys{Size: s.Beacon.CommitteeSize, ChunkKeys: s.ChunkKeys, Width: s.Width}
}

// String names the aggregation and wrap circuits of the config: the shape, the committee
// capacity where it is not the devnet's 4 (their keys depend on the header leaf's), and the
// sync committee's size and fork where the shape has sync slots.
func (c Config) String() string {
	out := c.Shape.String()
	if c.CommitteeCapacity != DevnetConfig().CommitteeCapacity {
		out += fmt.Sprintf("-c%d", c.CommitteeCapacity)
	}
	if c.Sync != nil {
		out += fmt.Sprintf("-sync%d-%s", c.Sync.Beacon.CommitteeSize, c.Sync.Fork)
	}
	return out
}

// WrapCircuit is the name of the config's wrap circuit, whose key verifies its batches.
func (c Config) WrapCircuit() string { return "wrap-" + c.String() }

// CircuitNames are the names of a config's circuits (their keys' names in the store); Rotation
// is empty for a shape without rotation slots, Receipt for one without receipt slots.
type CircuitNames struct {
	Header, Step, Statement, Rotation, Receipt, Aggregate, Wrap string
	Sync                                                        SyncNames // empty without sync slots
}

// SyncNames are the names of the sync-committee circuits: an update's five pieces, and a
// rotation's claim leaf, chunk, key-tree node (empty when the tree has no layer below its
// root) and root; the rotation's are empty without sync rotation slots.
type SyncNames struct {
	Signature, Header, Finality, Finalized, Payload string
	Claim, Chunk, Merkle, Root                      string
}

func (n SyncNames) all() []string {
	var out []string
	for _, s := range []string{n.Signature, n.Header, n.Finality, n.Finalized, n.Payload, n.Claim, n.Chunk, n.Merkle, n.Root} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// All lists the names in pipeline order.
func (n CircuitNames) All() []string {
	out := []string{n.Header, n.Step, n.Statement}
	for _, opt := range append([]string{n.Rotation, n.Receipt}, n.Sync.all()...) {
		if opt != "" {
			out = append(out, opt)
		}
	}
	return append(out, n.Aggregate, n.Wrap)
}

// Circuits names the config's circuits.
func (c Config) Circuits() CircuitNames {
	n := CircuitNames{
		Header:    fmt.Sprintf("header-leaf-%d", c.CommitteeCapacity),
		Step:      "state-step",
		Statement: fmt.Sprintf("statement-leaf-%d", c.Shape.Lanes()),
		Aggregate: "aggregate-" + c.String(),
		Wrap:      c.WrapCircuit(),
	}
	if rot := c.Shape.Rotations + c.Shape.SyncRotations; rot > 0 {
		n.Statement = fmt.Sprintf("statement-leaf-%dr%d", c.Shape.Lanes(), rot)
	}
	if c.Shape.Rotations > 0 {
		n.Rotation = fmt.Sprintf("rotation-leaf-%d", c.CommitteeCapacity)
	}
	if sc := c.Sync; sc != nil && c.Shape.Sync+c.Shape.SyncRotations > 0 {
		r, _ := sc.rules() // checked where the circuits are made
		payload := "capella"
		if r.Blobs {
			payload = "deneb"
		}
		n.Sync = SyncNames{
			Signature: fmt.Sprintf("sync-committee-signature-%d", sc.Beacon.CommitteeSize), Header: "sync-committee-header",
			Finality: fmt.Sprintf("sync-committee-branch-%d", r.FinalityGindex), Finalized: "sync-committee-finalized-header",
			Payload: "sync-committee-payload-" + payload,
		}
		if c.Shape.SyncRotations > 0 {
			_, layers, top, _ := sc.rotationKeys().Layout() // checked where the circuits are made
			n.Sync.Claim, n.Sync.Chunk = leaf.SyncRotationClaimName, fmt.Sprintf("sync-committee-rotation-chunk-%d", sc.ChunkKeys)
			n.Sync.Root = fmt.Sprintf("sync-committee-rotation-root-%d-%d", top, r.NextCommitteeGindex)
			if len(layers) > 0 {
				n.Sync.Merkle = fmt.Sprintf("sync-committee-rotation-merkle-%d", sc.Width)
			}
		}
	}
	if c.Shape.Receipts > 0 {
		n.Statement += fmt.Sprintf("-receipts%d", c.Shape.Receipts)
		n.Receipt = leaf.ReceiptLeafName
	}
	return n
}

// DevnetConfig is the smallest real pipeline: a committee of up to 4, one lane claim a
// batch (a head or a checkpoint), account proofs of up to 4 nodes and storage proofs of up
// to 3 (the devnet's tries), and one rotation slot.
func DevnetConfig() Config {
	return Config{CommitteeCapacity: 4, Shape: aggregate.Shape{Claims: 1, AccountSteps: 4, StorageSteps: 3, Rotations: 1}}
}

// Circuit is a compiled circuit with its keys (the verifying key: a job loads the proving
// key). A dispatcher's circuits have no constraint system: it proves nothing itself.
type Circuit struct {
	Name  string
	Curve ecc.ID
	CCS   constraint.ConstraintSystem
	Keys  *prover.Keys
}

// Prover holds the pipeline's circuits, compiled and keyed (Rotation nil for a shape
// without rotation slots), and plans a batch's jobs: its executor proves them.
type Prover struct {
	runner
	Config                                                      Config
	Header, Step, Statement, Rotation, Receipt, Aggregate, Wrap *Circuit
	Sync                                                        SyncCircuits // nil circuits without sync slots
}

// SyncCircuits are the prover's sync-committee circuits (SyncNames).
type SyncCircuits struct {
	Signature, Header, Finality, Finalized, Payload *Circuit
	Claim, Chunk, Merkle, Root                      *Circuit
}

// Dispatch has exec prove the prover's jobs from now on, and lets go of the compiled
// constraint systems, which only workers need (they compile their own): the prover keeps its
// verifying keys, to plan jobs and check their results.
func (p *Prover) Dispatch(exec Executor) { p.dispatch(exec, p.Circuits()) }

// Circuit is the prover's circuit of that name (a CircuitSource: the in-process workers of
// a prover use its compiled circuits).
func (p *Prover) Circuit(name string) (*Circuit, error) { return circuitNamed(p.Circuits(), name) }

var (
	bls12377 = ecc.BLS12_377.ScalarField()
	bw6761   = ecc.BW6_761.ScalarField()
	bn254    = ecc.BN254.ScalarField()
)

// NewProver compiles the circuits of cfg and loads their keys from the store, running the
// Groth16 setup of those it does not hold (minutes each: the store logs an estimate). The
// aggregation circuit fixes the leaf keys, and the wrap the aggregation's, so a new leaf key
// means new keys above it.
func NewProver(store *prover.Store, cfg Config, log *slog.Logger) (*Prover, error) {
	p, err := NewLeafProver(store, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := p.LoadAggregation(store); err != nil {
		return nil, err
	}
	return p, nil
}

// Verifier exports the wrap key's Solidity verifier, compiles it with the pinned compiler in
// contractsDir, and keeps its source with the wrap's keys (checksummed in their manifest).
func (p *Prover) Verifier(contractsDir string) (*verifier.Compiled, error) {
	c, err := verifier.Compile(contractsDir, p.Wrap.Keys.VK)
	if err != nil {
		return nil, err
	}
	if err := p.store.Attach(p.Wrap.Keys, "Verifier.sol", []byte(c.Source)); err != nil {
		return nil, err
	}
	return c, nil
}

// NewLeafProver is a Prover of the leaf circuits only (ProveLeaves).
func NewLeafProver(store *prover.Store, cfg Config, log *slog.Logger) (*Prover, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	p := &Prover{Config: cfg, runner: runner{log: log, store: store}}
	p.source = p
	leaves := cfg.leafCircuits()
	if err := p.setLeaves(func(name string) (*Circuit, error) { return keyed(store, log, name, bls12377, leaves[name]) }); err != nil {
		return nil, err
	}
	return p, nil
}

// setLeaves sets each of the config's leaf circuits from get, by name.
func (p *Prover) setLeaves(get func(name string) (*Circuit, error)) error {
	n := p.Config.Circuits()
	for _, c := range []struct {
		to   **Circuit
		name string
	}{{&p.Header, n.Header}, {&p.Step, n.Step}, {&p.Statement, n.Statement}, {&p.Rotation, n.Rotation}, {&p.Receipt, n.Receipt},
		{&p.Sync.Signature, n.Sync.Signature}, {&p.Sync.Header, n.Sync.Header}, {&p.Sync.Finality, n.Sync.Finality},
		{&p.Sync.Finalized, n.Sync.Finalized}, {&p.Sync.Payload, n.Sync.Payload}, {&p.Sync.Claim, n.Sync.Claim},
		{&p.Sync.Chunk, n.Sync.Chunk}, {&p.Sync.Merkle, n.Sync.Merkle}, {&p.Sync.Root, n.Sync.Root}} {
		if c.name == "" {
			continue
		}
		var err error
		if *c.to, err = get(c.name); err != nil {
			return err
		}
	}
	return nil
}

// leafCircuits are the config's leaf circuits by name, as placeholders to compile.
func (c Config) leafCircuits() map[string]frontend.Circuit {
	n := c.Circuits()
	out := map[string]frontend.Circuit{
		n.Header:    leaf.NewHeaderCircuit(c.CommitteeCapacity),
		n.Step:      &leaf.StateStepCircuit{},
		n.Statement: leaf.NewStatementCircuit(c.Shape.Lanes(), c.Shape.Receipts, c.Shape.Rotations+c.Shape.SyncRotations),
	}
	if n.Rotation != "" {
		out[n.Rotation] = leaf.NewRotationCircuit(c.CommitteeCapacity)
	}
	if n.Receipt != "" {
		out[n.Receipt] = leaf.NewReceiptLeafCircuit(leaf.ReceiptNodeLen, leaf.ReceiptMaxData)
	}
	if sn := n.Sync; sn.Signature != "" {
		sc := c.Sync
		r, _ := sc.rules()
		out[sn.Signature] = synccommittee.NewSignatureCircuit(sc.Beacon.CommitteeSize)
		out[sn.Header] = &synccommittee.HeaderCircuit{}
		out[sn.Finality] = synccommittee.NewBranchCircuit(r.FinalityGindex)
		out[sn.Finalized] = &synccommittee.FinalizedHeaderCircuit{}
		out[sn.Payload] = synccommittee.NewPayloadCircuit(r.Blobs)
		if sn.Claim != "" {
			out[sn.Claim] = &leaf.SyncRotationClaimCircuit{}
			out[sn.Chunk] = synccommittee.NewCommitteeChunkCircuit(sc.ChunkKeys)
			_, _, top, _ := sc.rotationKeys().Layout()
			out[sn.Root] = synccommittee.NewCommitteeRootCircuit(top, r.NextCommitteeGindex)
			if sn.Merkle != "" {
				out[sn.Merkle] = synccommittee.NewMerkleCircuit(sc.Width)
			}
		}
	}
	return out
}

// Check refuses a sync config the circuits cannot take.
func (c Config) Check() error {
	if c.Shape.Sync+c.Shape.SyncRotations == 0 {
		return nil
	}
	if c.Sync == nil {
		return fmt.Errorf("aggregator: shape %s has sync-committee slots and the config no beacon chain", c.Shape)
	}
	if _, err := c.Sync.rules(); err != nil {
		return fmt.Errorf("aggregator: %w", err)
	}
	if _, _, _, ok := c.Sync.rotationKeys().Layout(); c.Shape.SyncRotations > 0 && !ok {
		s := c.Sync
		return fmt.Errorf("aggregator: a committee of %d in chunks of %d, key-tree nodes of %d: want powers of two", s.Beacon.CommitteeSize, s.ChunkKeys, s.Width)
	}
	return nil
}

// AggregationCircuit is the aggregation circuit over the leaf keys, to compile or assign.
func (p *Prover) AggregationCircuit() (*aggregate.Circuit, error) {
	return aggregate.New(p.Config.Shape, p.leafKeys())
}

// LoadAggregation compiles and keys the aggregation and wrap circuits. No proving key is
// held while they are set up: the process holds one setup's memory at a time.
func (p *Prover) LoadAggregation(store *prover.Store) error {
	agg, err := p.AggregationCircuit()
	if err != nil {
		return err
	}
	if p.Aggregate, err = keyed(store, p.log, p.Config.Circuits().Aggregate, bw6761, agg); err != nil {
		return err
	}
	wr, err := wrap.New(p.Aggregate.Keys.VK)
	if err != nil {
		return err
	}
	if p.Wrap, err = keyed(store, p.log, p.Config.WrapCircuit(), bn254, wr); err != nil {
		return err
	}
	return nil
}

// Circuits lists the pipeline's circuits, leaves first.
func (p *Prover) Circuits() []*Circuit {
	return append(p.leaves(), p.Aggregate, p.Wrap)
}

func (p *Prover) leaves() []*Circuit {
	out := []*Circuit{p.Statement, p.Header, p.Step}
	s := &p.Sync
	for _, c := range []*Circuit{p.Rotation, p.Receipt, s.Signature, s.Header, s.Finality, s.Finalized, s.Payload, s.Claim, s.Chunk, s.Merkle, s.Root} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (p *Prover) leafKeys() aggregate.Keys {
	k := aggregate.Keys{Statement: p.Statement.Keys.VK, Header: p.Header.Keys.VK, Step: p.Step.Keys.VK}
	if p.Rotation != nil {
		k.Rotation = p.Rotation.Keys.VK
	}
	if p.Receipt != nil {
		k.Receipt = p.Receipt.Keys.VK
	}
	if s := &p.Sync; s.Signature != nil {
		rules, _ := p.Config.Sync.rules()
		k.Sync = &aggregate.SyncKeys{Signature: s.Signature.Keys.VK, Header: s.Header.Keys.VK, Finality: s.Finality.Keys.VK,
			Finalized: s.Finalized.Keys.VK, Payload: s.Payload.Keys.VK, Rules: rules}
		if s.Claim != nil {
			k.Sync.Rotation = p.Config.Sync.rotationKeys()
			k.Sync.Rotation.Claim, k.Sync.Rotation.Chunk, k.Sync.Rotation.Root = s.Claim.Keys.VK, s.Chunk.Keys.VK, s.Root.Keys.VK
			if s.Merkle != nil {
				k.Sync.Rotation.Merkle = s.Merkle.Keys.VK
			}
		}
	}
	return k
}

func keyed(store *prover.Store, log *slog.Logger, name string, field *big.Int, c frontend.Circuit) (*Circuit, error) {
	ccs, err := compile(log, name, field, c)
	if err != nil {
		return nil, err
	}
	return load(store, name, ccs)
}

func compile(log *slog.Logger, name string, field *big.Int, c frontend.Circuit) (constraint.ConstraintSystem, error) {
	start := time.Now()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	log.Info("compiled", "circuit", name, "constraints", ccs.GetNbConstraints(), "seconds", time.Since(start).Seconds())
	if n := len(ccs.GetCommitments().CommitmentIndexes()); n > 1 {
		return nil, fmt.Errorf("%s: %d Groth16 commitments; the verifiers take at most one", name, n)
	}
	return ccs, nil
}

// load returns a compiled circuit with its verifying key, setting its keys up if the store
// lacks them; its proving key is read when a stage needs it.
func load(store *prover.Store, name string, ccs constraint.ConstraintSystem) (*Circuit, error) {
	keys, err := store.Ensure(name, ccs)
	if err != nil {
		return nil, err
	}
	curve, err := prover.CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	return &Circuit{Name: name, Curve: curve, CCS: ccs, Keys: keys}, nil
}

// ClaimInput is what proves one lane claim: the finalized header's signatures by the
// committee, and the lane's state proof at that header. The claim is the lane's head, or,
// when Checkpoint is not zero, the checkpoint the Outbox stored at that count (its storage
// proof among Lane.Checkpoints).
type ClaimInput struct {
	Committee  committee.Committee
	Signatures map[int]*eddsanative.Signature // by member index
	Lane       *chain.LaneProof
	Checkpoint uint64
	// Sync, for a domain under Ethereum's sync committee, is the update that finalized the
	// lane's block (instead of Committee and Signatures).
	Sync *synccommittee.SignedUpdate
}

// committee is the commitment the input's claim names: its attester committee's, or its sync
// committee's for its period.
func (in *ClaimInput) committee() common.Hash {
	if in.Sync != nil {
		c := synccommittee.CommitmentOf(in.Sync.Committee, in.Sync.Period)
		return common.Hash(c.Bytes())
	}
	return in.Committee.CommitmentHash()
}

// SyncRotationInput is what proves one rotation of a domain under Ethereum's sync committee:
// an update of the current period that carries the next committee (Update.Next).
type SyncRotationInput struct {
	SrcDomain uint32
	Update    *synccommittee.SignedUpdate
}

// Claim is the rotation claim the input proves: from the commitment of the update's committee
// for its period to that of the next committee for the next period.
func (in *SyncRotationInput) Claim() protocol.RotationClaim {
	su := in.Update
	cur, next := synccommittee.CommitmentOf(su.Committee, su.Period), synccommittee.CommitmentOf(su.Next, su.Period+1)
	return protocol.RotationClaim{SrcDomain: in.SrcDomain, Committee: common.Hash(cur.Bytes()), NextEpoch: su.Period + 1, NextCommittee: common.Hash(next.Bytes())}
}

// RotationInput is what proves one rotation claim: the signatures of the rotation by the
// current committee, which the claim names.
type RotationInput struct {
	Claim      protocol.RotationClaim
	Committee  committee.Committee
	Signatures map[int]*eddsanative.Signature // by member index
}

// Batch is what one batch proof proves: its lane claims proven by storage (as many as the
// shape's: under attester committees, then under the sync committee), its claims by receipt
// (up to the shape's receipt slots) and its rotations (up to the shape's rotation slots, then
// exactly its sync rotation slots), in this order in its statement (lanes by receipt before
// events).
type Batch struct {
	// Sync is the beacon chain of the claims under Ethereum's sync committee and how its
	// rotations are chunked (the universal planner's; the per-shape pipeline takes its
	// config's).
	Sync          *UniversalSync
	Claims        []ClaimInput
	Receipts      []ReceiptInput
	Rotations     []RotationInput
	SyncRotations []SyncRotationInput
}

// ErrNoCheckpoint is returned for a checkpoint claim whose storage proof the lane proof lacks.
var ErrNoCheckpoint = errors.New("no proof of the checkpoint")

// checkpoint is the storage proof of the input's checkpoint.
func (in *ClaimInput) checkpoint() (*chain.StorageProof, error) {
	for i := range in.Lane.Checkpoints {
		if cp := &in.Lane.Checkpoints[i]; cp.Count == in.Checkpoint {
			return &cp.StorageProof, nil
		}
	}
	return nil, fmt.Errorf("%w: lane %d→%d at block %d holds no proof of a checkpoint at %d", ErrNoCheckpoint,
		in.Lane.SrcDomain, in.Lane.DstDomain, in.Lane.Header.Number, in.Checkpoint)
}

// storage returns the input's two storage proofs: a head's word and accumulator, or a
// checkpoint's proof twice.
func (in *ClaimInput) storage() (word, acc *chain.StorageProof, err error) {
	if in.Checkpoint == 0 {
		return &in.Lane.Word, &in.Lane.Acc, nil
	}
	cp, err := in.checkpoint()
	return cp, cp, err
}

// ErrEmptyLane is returned for a lane that has sent no message: there is nothing to prove.
var ErrEmptyLane = errors.New("the lane has sent no message")

// Claim is the lane claim the input proves: the lane's head at the header, or its
// checkpoint.
func (in *ClaimInput) Claim() (protocol.LaneClaim, error) {
	head, err := in.Lane.Head()
	if err != nil {
		return protocol.LaneClaim{}, err
	}
	kind := protocol.KindLaneHead
	if in.Checkpoint != 0 {
		cp, err := in.checkpoint()
		if err != nil {
			return protocol.LaneClaim{}, err
		}
		kind, head = protocol.KindLaneCheckpoint, protocol.Accumulator{Count: in.Checkpoint, Acc: cp.Value}
	}
	if head.Count == 0 {
		return protocol.LaneClaim{}, fmt.Errorf("%w: lane %d→%d of Outbox %s at block %d", ErrEmptyLane,
			in.Lane.SrcDomain, in.Lane.DstDomain, in.Lane.Outbox, in.Lane.Header.Number)
	}
	return protocol.LaneClaim{
		Kind: kind, SrcDomain: in.Lane.SrcDomain, DstDomain: in.Lane.DstDomain, Outbox: in.Lane.Outbox,
		Committee: in.committee(), BlockNumber: in.Lane.Header.Number.Uint64(),
		BlockHash: in.Lane.Header.Hash(), Count: head.Count, Acc: head.Acc,
	}, nil
}

// Stage is one step of a batch's pipeline: its proofs, their proving seconds summed (the
// wall time with one worker), and the peak memory of the workers that made them.
type Stage struct {
	Name    string        `json:"name"`
	Proofs  int           `json:"proofs"`
	Elapsed time.Duration `json:"elapsed"`
	PeakGiB float64       `json:"peakGiB"` // the largest peak resident memory of a worker during one of its proofs
}

// BatchProof is a batch's final proof with what it attests.
type BatchProof struct {
	Statement   protocol.Statement
	PublicInput *big.Int
	Proof       groth16.Proof // BN254, for the generated Solidity verifier
	Stages      []Stage
	Jobs        []JobRecord // in the order they were done
}

// ErrShape is returned for a batch the circuits' shape cannot hold.
var ErrShape = errors.New("batch does not fit the circuit shape")

// Leaves are a batch's leaf proofs: the statement leaf, each lane claim's, and a rotation
// leaf for each rotation slot (the padding one for an unused slot).
type Leaves struct {
	Statement     protocol.Statement
	StatementLeaf aggregate.Leaf
	Claims        []aggregate.ClaimLeaves
	Sync          []aggregate.SyncLeaves
	Receipts      []aggregate.ReceiptLeaves
	Rotations     []aggregate.Leaf
	SyncRotations []aggregate.SyncRotationLeaves
}

// Prove proves a batch: one proof per leaf, then the aggregation and the wrap. Each proof is
// verified natively as it is made.
func (p *Prover) Prove(ctx context.Context, b Batch) (*BatchProof, error) {
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

// ProveLeaves proves a batch's leaves; out records the statement and the stages.
func (p *Prover) ProveLeaves(ctx context.Context, b Batch, out *BatchProof) (*Leaves, error) {
	plan, err := p.PlanLeaves(b)
	if err != nil {
		return nil, err
	}
	out.Statement, out.PublicInput = plan.Statement, plan.Statement.PublicInput()
	p.done, p.total = 0, len(plan.tasks)+2 // the leaves, the aggregation, the wrap
	proofs, err := p.run(ctx, out, plan.tasks)
	if err != nil {
		return nil, err
	}
	return plan.build(proofs), nil
}

// repeats reports whether a claim's chain ch is the proof of its word chain again: a
// checkpoint's two storage proofs are of its one slot, so its steps are proven once.
func repeats(c protocol.LaneClaim, ch int) bool {
	return c.Kind == protocol.KindLaneCheckpoint && ch == aggregate.AccChain
}

// AggregationAssignment is the aggregation circuit's assignment for a batch's leaves.
func (p *Prover) AggregationAssignment(l *Leaves) (*aggregate.Circuit, error) {
	return aggregate.Assign(p.Config.Shape, p.leafKeys(), l.Statement.PublicInput(), l.StatementLeaf, l.Claims, l.Sync, l.Receipts, l.Rotations, l.SyncRotations)
}

// ProveAggregation proves the aggregation of a batch's leaves.
func (p *Prover) ProveAggregation(ctx context.Context, l *Leaves, out *BatchProof) (aggregate.Leaf, error) {
	aa, err := p.AggregationAssignment(l)
	if err != nil {
		return aggregate.Leaf{}, err
	}
	return p.single(ctx, out, "aggregation", p.Aggregate, aa)
}

// ProveWrap wraps an aggregation proof for the Solidity verifier into out.Proof.
func (p *Prover) ProveWrap(ctx context.Context, agg aggregate.Leaf, out *BatchProof) error {
	wa, err := wrap.Assign(p.Aggregate.Keys.VK, agg.Proof, agg.Public)
	if err != nil {
		return err
	}
	final, err := p.single(ctx, out, "wrap", p.Wrap, wa)
	out.Proof = final.Proof
	return err
}

func nodes(p []hexutil.Bytes) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}
