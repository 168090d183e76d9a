package verifier

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/isthmus-xyz/isthmus/protocol"
)

// Batch files come from outside (a relay's state folder, `isthmus verify FILE`): any bytes
// are refused with ErrEncoding or decode to a batch that is consistent (its statement hashes
// to the file's hash and input) and encodes back to a file that decodes the same.
func FuzzHardeningBatchFile(f *testing.F) {
	_, proof, _ := proveSmall(f, 5)
	stmt := protocol.Statement{Lanes: []protocol.LaneClaim{{Kind: protocol.KindLaneHead, SrcDomain: 1, DstDomain: 2, Count: 3, BlockNumber: 7}}}
	b, err := NewBatch("wrap-test", testConfig, stmt, proof)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := json.Marshal(b)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(`{"format":"isthmus.batch.v2","statement":{"lanes":[],"rotations":[]}}`))
	f.Add([]byte(`{"format":"isthmus.batch.v2","statement":{"lanes":[{"kind":9}]},"proof":"0x00"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := DecodeBatch(data)
		if err != nil {
			if !errors.Is(err, ErrEncoding) && !errors.Is(err, protocol.ErrBadEncoding) {
				t.Fatalf("refused without naming the encoding: %v", err)
			}
			return
		}
		if got.Statement.Hash() != got.Hash || got.Statement.PublicInput().Cmp(got.PublicInput.ToInt()) != 0 {
			t.Fatal("a batch whose statement is not its hash was taken")
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		back, _, err := DecodeBatch(again)
		if err != nil || back.Hash != got.Hash {
			t.Fatalf("re-encoded: %v", err)
		}
	})
}
