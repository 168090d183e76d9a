package synccommittee

import "testing"

// The padding update of an unused sync rotation slot is a valid rotation under the rules of
// its fork, at mainnet's size (Fulu: Electra's deeper branches) and at the devnet's (Deneb
// from genesis): the light client takes it under its public committee, and every link the
// aggregation checks of an update and of a rotation holds.
func TestSyncCommitteePaddingUpdate(t *testing.T) {
	devnet := Mainnet()
	devnet.Forks = []Fork{{"altair", 0, [4]byte{1}}, {"bellatrix", 0, [4]byte{2}}, {"capella", 0, [4]byte{3}}, {"deneb", 0, [4]byte{4}}}
	devnet.CommitteeSize, devnet.SlotsPerEpoch, devnet.EpochsPerPeriod = 8, 4, 4
	for _, c := range []struct {
		cfg          Config
		fork         string
		chunk, width int
	}{{Mainnet(), "fulu", ChunkKeys, MerkleWidth}, {devnet, "deneb", 1, 4}} {
		su, err := c.cfg.PaddingUpdate(c.fork)
		if err != nil {
			t.Fatal(err)
		}
		u := su.Update
		if f := c.cfg.Current(uint64(u.AttestedHeader.Beacon.Slot)); f != c.fork {
			t.Fatalf("%s: the padding is in fork %s", c.fork, f)
		}
		v, err := c.cfg.VerifyUpdate(su.Committee, su.Period, u, uint64(u.SignatureSlot))
		if err != nil {
			t.Fatalf("%s: the light client refuses the padding: %v", c.fork, err)
		}
		if v.Next == nil || v.Next.Root != su.Next.Root {
			t.Fatalf("%s: the padding carries no next committee", c.fork)
		}
		st, err := StepProof(c.cfg, su.Committee, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Links(c.cfg, CommitmentOf(su.Committee, su.Period), su.Period); err != nil {
			t.Fatalf("%s: %v", c.fork, err)
		}
		r, _ := c.cfg.Rules(c.fork)
		rot, err := RotationProof(su.Next, su.Period+1, c.chunk, c.width, r.NextCommitteeGindex, u.AttestedHeader.Beacon.StateRoot, u.NextSyncCommitteeBranch)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RotationLinks(c.cfg, rot, su.Period); err != nil {
			t.Fatalf("%s: %v", c.fork, err)
		}
		if err := rot.Links(su.Period+1, CommitmentOf(su.Next, su.Period+1)); err != nil {
			t.Fatalf("%s: %v", c.fork, err)
		}
	}
}
