package attest

import (
	"testing"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
)

// Committee files come from outside (`--committee FILE`): any bytes are refused or decode to
// a committee of valid, not small-order keys that encodes back to a file of the same
// commitment.
func FuzzHardeningCommitteeFile(f *testing.F) {
	members, _ := devnet.Committee()
	valid, err := EncodeCommittee(members)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"publicKey":"0x00","weight":1}]`))
	f.Add([]byte(`[{"publicKey":"0x0000000000000000000000000000000000000000000000000000000000000000","weight":1}]`))
	f.Add([]byte(`{"members":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommittee(data)
		if err != nil {
			return
		}
		if len(c) == 0 {
			t.Fatal("an empty committee was taken")
		}
		again, err := EncodeCommittee(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeCommittee(again)
		if err != nil {
			t.Fatalf("a decoded committee does not decode again: %v", err)
		}
		if back.CommitmentHash() != c.CommitmentHash() {
			t.Fatal("the committee's commitment changed through its file")
		}
	})
}
