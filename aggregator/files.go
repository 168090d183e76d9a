package aggregator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"

	"github.com/consensys/gnark-crypto/ecc"
	frbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// File formats between the pipeline's steps (`isthmus prove --leaves-only`, `aggregate`,
// `wrap`): JSON, with each Groth16 proof in gnark's compressed encoding and each public
// witness in gnark's binary encoding, both hex.
const (
	LeavesFormat      = "isthmus.leaves.v3"
	AggregationFormat = "isthmus.aggregation.v2"
)

// ErrFile is returned for a pipeline file that does not decode.
var ErrFile = errors.New("malformed pipeline file")

// Proof is a proof with its public witness.
type Proof struct {
	Proof  groth16.Proof
	Public witness.Witness
}

// ProofFile is one proof with its public witness.
type ProofFile struct {
	Proof  hexutil.Bytes `json:"proof"`
	Public hexutil.Bytes `json:"public"`
}

// LeafFile is one leaf proof and the kind whose key it verifies under.
type LeafFile struct {
	Kind string `json:"kind"`
	ProofFile
}

// LeavesFile is a batch's leaf proofs, with the statement they prove and the aggregation
// size that takes them.
type LeavesFile struct {
	Format      string             `json:"format"`
	Statement   protocol.Statement `json:"statement"`
	Aggregation string             `json:"aggregation"`
	Leaves      []LeafFile         `json:"leaves"`
}

// AggregationFile is an aggregation proof with the statement it attests and the
// aggregation that made it.
type AggregationFile struct {
	Format      string             `json:"format"`
	Statement   protocol.Statement `json:"statement"`
	Aggregation string             `json:"aggregation"`
	ProofFile
}

func encodeProof(l Proof) (ProofFile, error) {
	var p bytes.Buffer
	if _, err := l.Proof.WriteTo(&p); err != nil {
		return ProofFile{}, err
	}
	pub, err := l.Public.MarshalBinary()
	if err != nil {
		return ProofFile{}, err
	}
	return ProofFile{Proof: p.Bytes(), Public: pub}, nil
}

func decodeProof(f ProofFile, curve ecc.ID, what string) (Proof, error) {
	proof := groth16.NewProof(curve)
	if _, err := proof.ReadFrom(bytes.NewReader(f.Proof)); err != nil {
		return Proof{}, fmt.Errorf("%w: %s: proof: %v", ErrFile, what, err)
	}
	pub, err := witness.New(curve.ScalarField())
	if err != nil {
		return Proof{}, err
	}
	if err := pub.UnmarshalBinary(f.Public); err != nil {
		return Proof{}, fmt.Errorf("%w: %s: public witness: %v", ErrFile, what, err)
	}
	return Proof{Proof: proof, Public: pub}, nil
}

// EncodeLeaves is the file of a batch's leaves, each named by its kind in the prover's
// allow-list.
func (p *Prover) EncodeLeaves(l *Leaves) (*LeavesFile, error) {
	if l.Size < 0 || l.Size >= len(p.Aggregates) {
		return nil, fmt.Errorf("leaves for aggregation size %d of %d", l.Size, len(p.Aggregates))
	}
	f := &LeavesFile{Format: LeavesFormat, Statement: l.Statement, Aggregation: p.Aggregates[l.Size].Name}
	for i, leaf := range l.Leaves {
		kind := ""
		for _, c := range p.Kinds {
			if c.Keys.VK == leaf.Key {
				kind = c.Name
			}
		}
		if kind == "" {
			return nil, fmt.Errorf("leaf %d: its key is no kind's of the allow-list", i)
		}
		pf, err := encodeProof(Proof{Proof: leaf.Proof, Public: leaf.Public})
		if err != nil {
			return nil, err
		}
		f.Leaves = append(f.Leaves, LeafFile{Kind: kind, ProofFile: pf})
	}
	return f, nil
}

// Check refuses a leaves file of another format.
func (f *LeavesFile) Check() error {
	if f.Format != LeavesFormat {
		return fmt.Errorf("%w: format %q, want %q", ErrFile, f.Format, LeavesFormat)
	}
	return nil
}

// Check refuses an aggregation file of another format.
func (f *AggregationFile) Check() error {
	if f.Format != AggregationFormat {
		return fmt.Errorf("%w: format %q, want %q", ErrFile, f.Format, AggregationFormat)
	}
	return nil
}

// DecodeLeaves reads a batch's leaves back under the prover's keys. The proofs are checked
// when aggregated.
func (p *Prover) DecodeLeaves(f *LeavesFile) (*Leaves, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	size, err := p.aggregation(f.Aggregation)
	if err != nil {
		return nil, err
	}
	if err := f.Statement.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFile, err)
	}
	l := &Leaves{Statement: f.Statement, Chain: f.Statement.Hash(), Size: size}
	for i, lf := range f.Leaves {
		c, err := p.kind(lf.Kind)
		if err != nil {
			return nil, fmt.Errorf("%w: leaf %d: %v", ErrFile, i, err)
		}
		pr, err := decodeProof(lf.ProofFile, ecc.BLS12_377, fmt.Sprintf("leaf %d (%s)", i, lf.Kind))
		if err != nil {
			return nil, err
		}
		l.Leaves = append(l.Leaves, universal.Leaf{Key: c.Keys.VK, Proof: pr.Proof, Public: pr.Public})
	}
	return l, nil
}

// aggregation is the index of the prover's aggregation of that name.
func (p *Prover) aggregation(name string) (int, error) {
	for i, c := range p.Aggregates {
		if c.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: aggregation %q is not the prover's", ErrFile, name)
}

// EncodeAggregation is the file of an aggregation proof of statement.
func (p *Prover) EncodeAggregation(statement protocol.Statement, agg universal.Leaf) (*AggregationFile, error) {
	name := ""
	for _, c := range p.Aggregates {
		if c.Keys.VK == agg.Key {
			name = c.Name
		}
	}
	if name == "" {
		return nil, errors.New("the aggregation proof's key is none of the prover's aggregations'")
	}
	pf, err := encodeProof(Proof{Proof: agg.Proof, Public: agg.Public})
	if err != nil {
		return nil, err
	}
	return &AggregationFile{Format: AggregationFormat, Statement: statement, Aggregation: name, ProofFile: pf}, nil
}

// DecodeAggregation reads an aggregation proof back under the prover's key of its
// aggregation, and checks that its public inputs are the statement's and the prover's
// allow-list's root.
func (p *Prover) DecodeAggregation(f *AggregationFile) (universal.Leaf, error) {
	if err := f.Check(); err != nil {
		return universal.Leaf{}, err
	}
	size, err := p.aggregation(f.Aggregation)
	if err != nil {
		return universal.Leaf{}, err
	}
	l, err := decodeProof(f.ProofFile, ecc.BW6_761, "aggregation")
	if err != nil {
		return universal.Leaf{}, err
	}
	vec, ok := l.Public.Vector().(frbw6761.Vector)
	if !ok || len(vec) != 2 {
		return universal.Leaf{}, fmt.Errorf("%w: the aggregation has not two public inputs", ErrFile)
	}
	if vec[0].BigInt(new(big.Int)).Cmp(facts.StatementOf(f.Statement.Hash())) != 0 {
		return universal.Leaf{}, fmt.Errorf("%w: the aggregation's statement is not the file's", ErrFile)
	}
	if vec[1].BigInt(new(big.Int)).Cmp(p.List.Root()) != 0 {
		return universal.Leaf{}, fmt.Errorf("%w: the aggregation is under another allow-list", ErrFile)
	}
	return universal.Leaf{Key: p.Aggregates[size].Keys.VK, Proof: l.Proof, Public: l.Public}, nil
}

// ReadJSON reads a pipeline file into v, naming the file in errors.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrFile, err)
	}
	return nil
}

// WriteJSON writes a pipeline file atomically.
func WriteJSON(path string, v any) error { return fileio.WriteJSON(path, v) }
