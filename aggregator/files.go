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

	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// File formats between the pipeline's steps (`isthmus prove --leaves-only`, `aggregate`,
// `wrap`): JSON, with each Groth16 proof in gnark's compressed encoding and each public
// witness in gnark's binary encoding, both hex.
const (
	LeavesFormat      = "isthmus.leaves.v2"
	AggregationFormat = "isthmus.aggregation.v1"
)

// ErrFile is returned for a pipeline file that does not decode.
var ErrFile = errors.New("malformed pipeline file")

// ProofFile is one proof with its public witness.
type ProofFile struct {
	Proof  hexutil.Bytes `json:"proof"`
	Public hexutil.Bytes `json:"public"`
}

// LeavesFile is a batch's leaf proofs: the statement leaf, per lane claim its header leaf and
// the steps of its account, word and accumulator proofs, and a rotation leaf per rotation slot.
type LeavesFile struct {
	Format        string             `json:"format"`
	Statement     protocol.Statement `json:"statement"`
	StatementLeaf ProofFile          `json:"statementLeaf"`
	Claims        []ClaimFile        `json:"claims"`
	Rotations     []ProofFile        `json:"rotations"`
}

// ClaimFile is one claim's leaf proofs.
type ClaimFile struct {
	Header ProofFile      `json:"header"`
	Chains [3][]ProofFile `json:"chains"` // account, word, accumulator
}

// AggregationFile is an aggregation proof with the statement it attests.
type AggregationFile struct {
	Format    string             `json:"format"`
	Statement protocol.Statement `json:"statement"`
	ProofFile
}

func encodeProof(l aggregate.Leaf) (ProofFile, error) {
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

func decodeProof(f ProofFile, curve ecc.ID, what string) (aggregate.Leaf, error) {
	proof := groth16.NewProof(curve)
	if _, err := proof.ReadFrom(bytes.NewReader(f.Proof)); err != nil {
		return aggregate.Leaf{}, fmt.Errorf("%w: %s: proof: %v", ErrFile, what, err)
	}
	pub, err := witness.New(curve.ScalarField())
	if err != nil {
		return aggregate.Leaf{}, err
	}
	if err := pub.UnmarshalBinary(f.Public); err != nil {
		return aggregate.Leaf{}, fmt.Errorf("%w: %s: public witness: %v", ErrFile, what, err)
	}
	return aggregate.Leaf{Proof: proof, Public: pub}, nil
}

// Encode is the file of a batch's leaves.
func (l *Leaves) Encode() (*LeavesFile, error) {
	f := &LeavesFile{Format: LeavesFormat, Statement: l.Statement}
	var err error
	if f.StatementLeaf, err = encodeProof(l.StatementLeaf); err != nil {
		return nil, err
	}
	for _, c := range l.Claims {
		var cf ClaimFile
		if cf.Header, err = encodeProof(c.Header); err != nil {
			return nil, err
		}
		for ch := range c.Chains {
			for _, s := range c.Chains[ch] {
				sf, err := encodeProof(s)
				if err != nil {
					return nil, err
				}
				cf.Chains[ch] = append(cf.Chains[ch], sf)
			}
		}
		f.Claims = append(f.Claims, cf)
	}
	for _, r := range l.Rotations {
		rf, err := encodeProof(r)
		if err != nil {
			return nil, err
		}
		f.Rotations = append(f.Rotations, rf)
	}
	return f, nil
}

// Decode reads the leaves back. The proofs are checked when aggregated.
func (f *LeavesFile) Decode() (*Leaves, error) {
	if f.Format != LeavesFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrFile, f.Format, LeavesFormat)
	}
	if len(f.Claims) != len(f.Statement.Lanes) {
		return nil, fmt.Errorf("%w: %d claims' proofs for a statement of %d", ErrFile, len(f.Claims), len(f.Statement.Lanes))
	}
	l := &Leaves{Statement: f.Statement}
	var err error
	if l.StatementLeaf, err = decodeProof(f.StatementLeaf, ecc.BLS12_377, "statement leaf"); err != nil {
		return nil, err
	}
	for i, cf := range f.Claims {
		var c aggregate.ClaimLeaves
		if c.Header, err = decodeProof(cf.Header, ecc.BLS12_377, fmt.Sprintf("claim %d header", i)); err != nil {
			return nil, err
		}
		for ch := range cf.Chains {
			for j, sf := range cf.Chains[ch] {
				s, err := decodeProof(sf, ecc.BLS12_377, fmt.Sprintf("claim %d chain %d step %d", i, ch, j))
				if err != nil {
					return nil, err
				}
				c.Chains[ch] = append(c.Chains[ch], s)
			}
		}
		l.Claims = append(l.Claims, c)
	}
	if len(f.Rotations) < len(f.Statement.Rotations) {
		return nil, fmt.Errorf("%w: %d rotation leaves for a statement of %d rotations", ErrFile, len(f.Rotations), len(f.Statement.Rotations))
	}
	for i, rf := range f.Rotations {
		r, err := decodeProof(rf, ecc.BLS12_377, fmt.Sprintf("rotation %d", i))
		if err != nil {
			return nil, err
		}
		l.Rotations = append(l.Rotations, r)
	}
	return l, nil
}

// EncodeAggregation is the file of an aggregation proof of statement.
func EncodeAggregation(statement protocol.Statement, agg aggregate.Leaf) (*AggregationFile, error) {
	pf, err := encodeProof(agg)
	if err != nil {
		return nil, err
	}
	return &AggregationFile{Format: AggregationFormat, Statement: statement, ProofFile: pf}, nil
}

// Decode reads the aggregation proof back, and checks that its public input is the
// statement's.
func (f *AggregationFile) Decode() (aggregate.Leaf, error) {
	if f.Format != AggregationFormat {
		return aggregate.Leaf{}, fmt.Errorf("%w: format %q, want %q", ErrFile, f.Format, AggregationFormat)
	}
	l, err := decodeProof(f.ProofFile, ecc.BW6_761, "aggregation")
	if err != nil {
		return aggregate.Leaf{}, err
	}
	vec, ok := l.Public.Vector().(frbw6761.Vector)
	if !ok || len(vec) != 1 {
		return aggregate.Leaf{}, fmt.Errorf("%w: the aggregation has not one public input", ErrFile)
	}
	if vec[0].BigInt(new(big.Int)).Cmp(f.Statement.PublicInput()) != 0 {
		return aggregate.Leaf{}, fmt.Errorf("%w: the aggregation's public input is not the statement's", ErrFile)
	}
	return l, nil
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
