package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// BatchFormat names the batch file format.
const BatchFormat = "isthmus.batch.v2"

// Batch is a proven batch as a file: what `isthmus prove` writes, `isthmus verify` checks and
// the relay submits. Proof is the calldata of submitBatch's proof argument.
type Batch struct {
	Format      string             `json:"format"`
	Circuit     string             `json:"circuit"` // the wrap circuit whose key verifies it
	Config      *hexutil.Big       `json:"config"`  // the deployment's config it is proven under: the verifier's CONFIG
	Statement   protocol.Statement `json:"statement"`
	Hash        common.Hash        `json:"statementHash"`
	PublicInput *hexutil.Big       `json:"publicInput"`
	Proof       hexutil.Bytes      `json:"proof"`
}

// NewBatch is the batch file of a proof of statement under a deployment's config.
func NewBatch(circuit string, config *big.Int, statement protocol.Statement, proof groth16.Proof) (*Batch, error) {
	calldata, err := Calldata(proof)
	if err != nil {
		return nil, err
	}
	if statement.Rotations == nil {
		statement.Rotations = []protocol.RotationClaim{}
	}
	return &Batch{Format: BatchFormat, Circuit: circuit, Config: (*hexutil.Big)(config), Statement: statement, Hash: statement.Hash(),
		PublicInput: (*hexutil.Big)(statement.PublicInput()), Proof: calldata}, nil
}

// Validate checks that the file is consistent: its format, its statement hash and public
// input, and a proof that decodes. It does not verify the proof (Verify does).
func (b *Batch) Validate() (groth16.Proof, error) {
	if b.Format != BatchFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrEncoding, b.Format, BatchFormat)
	}
	if err := b.Statement.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	if b.Config == nil {
		return nil, fmt.Errorf("%w: no config", ErrEncoding)
	}
	if h := b.Statement.Hash(); h != b.Hash {
		return nil, fmt.Errorf("%w: the statement hashes to %s, the file says %s", ErrEncoding, h, b.Hash)
	}
	if b.PublicInput == nil || (*big.Int)(b.PublicInput).Cmp(b.Statement.PublicInput()) != 0 {
		return nil, fmt.Errorf("%w: the public input is not the statement's", ErrEncoding)
	}
	return FromCalldata(b.Proof)
}

// ReadBatch reads and validates a batch file.
func ReadBatch(path string) (*Batch, groth16.Proof, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	b, p, err := DecodeBatch(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, p, nil
}

// DecodeBatch decodes and validates the bytes of a batch file.
func DecodeBatch(data []byte) (*Batch, groth16.Proof, error) {
	var b Batch
	if err := json.Unmarshal(data, &b); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, nil, fmt.Errorf("%w: not JSON at byte %d (truncated?): %v", ErrEncoding, syn.Offset, err)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	p, err := b.Validate()
	if err != nil {
		return nil, nil, err
	}
	return &b, p, nil
}

// WriteBatch writes a batch file, atomically.
func WriteBatch(path string, b *Batch) error { return fileio.WriteJSON(path, b) }
