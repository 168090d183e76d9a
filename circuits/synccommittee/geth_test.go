package synccommittee

import (
	"encoding/json"
	"testing"

	gethparams "github.com/ethereum/go-ethereum/beacon/params"
	gethtypes "github.com/ethereum/go-ethereum/beacon/types"
	"github.com/ethereum/go-ethereum/common"
)

// The twin against go-ethereum's beacon light client (beacon/types, beacon/params), on every
// header, payload and committee of the shared data: the beacon header and execution payload
// roots, the committee root, the signing root of each update, and the signature check, on
// the update as signed and with one participation bit cleared.
func TestSyncCommitteeNativeMatchesGoEthereum(t *testing.T) {
	_, b := mainnetStore(t)
	cfg := Mainnet()
	headers := []*LightClientHeader{&b.Header}
	committees := []*SyncCommitteeJSON{&b.CurrentSyncCommittee}
	updates := mainnetUpdates(t)
	for i := range updates {
		u := &updates[i]
		headers = append(headers, &u.AttestedHeader, u.FinalizedHeader)
		committees = append(committees, u.NextSyncCommittee)
	}
	for _, h := range headers {
		ours := h.Beacon.Header()
		theirs := gethtypes.Header{Slot: ours.Slot, ProposerIndex: ours.ProposerIndex, ParentRoot: ours.ParentRoot, StateRoot: ours.StateRoot, BodyRoot: ours.BodyRoot}
		if common.Hash(ours.Root()) != theirs.Hash() {
			t.Fatalf("slot %d: beacon header root %x, go-ethereum %s", ours.Slot, ours.Root(), theirs.Hash())
		}
		exec, err := h.Execution.Header()
		if err != nil {
			t.Fatal(err)
		}
		root, err := exec.Root()
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(&h.Execution)
		if err != nil {
			t.Fatal(err)
		}
		geth, err := gethtypes.ExecutionHeaderFromJSON("capella", data)
		if err != nil {
			t.Fatal(err)
		}
		if common.Hash(root) != common.Hash(geth.PayloadRoot()) || geth.BlockHash() != exec.BlockHash {
			t.Fatalf("block %d: payload root %x, go-ethereum %x", exec.BlockNumber, root, geth.PayloadRoot())
		}
	}
	gethCommittees := make([]*gethtypes.SyncCommittee, len(committees))
	for i, c := range committees {
		ours, err := cfg.NewCommittee(c)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var ser gethtypes.SerializedSyncCommittee
		if err := json.Unmarshal(data, &ser); err != nil {
			t.Fatal(err)
		}
		if common.Hash(ours.Root) != ser.Root() {
			t.Fatalf("committee %d: root %x, go-ethereum %s", i, ours.Root, ser.Root())
		}
		if gethCommittees[i], err = ser.Deserialize(); err != nil {
			t.Fatal(err)
		}
	}
	forks := gethparams.MainnetLightConfig.Forks
	for i := range updates {
		u := &updates[i]
		attested := u.AttestedHeader.Beacon.Header()
		sigSlot := uint64(u.SignatureSlot)
		version := cfg.ForkAt(cfg.Epoch(sigSlot - 1)).Version
		ours := SigningRoot(attested.Root(), DomainSyncCommittee, version, cfg.GenesisValidatorsRoot)
		theirs, err := forks.SigningRoot(cfg.Epoch(sigSlot-1), attested.Root())
		if err != nil {
			t.Fatal(err)
		}
		if common.Hash(ours) != theirs {
			t.Fatalf("update %d: signing root %x, go-ethereum %s", i, ours, theirs)
		}
		// The committee that signed update i is the one update i-1 brought (the bootstrap's
		// for the first).
		com := gethCommittees[i]
		ourCom, _ := cfg.NewCommittee(committees[i])
		for _, flip := range []bool{false, true} {
			agg := u.SyncAggregate
			if flip {
				agg.Bits = append([]byte(nil), agg.Bits...)
				agg.Bits[10] ^= 4
			}
			var gagg gethtypes.SyncAggregate
			copy(gagg.Signers[:], agg.Bits)
			copy(gagg.Signature[:], agg.Signature)
			gethOK := com.VerifySignature(theirs, &gagg)
			ourOK := cfg.VerifySignature(ourCom, &agg, attested.Root(), sigSlot) == nil
			if gethOK != ourOK || gethOK == flip {
				t.Fatalf("update %d, bit flipped %v: ours %v, go-ethereum %v", i, flip, ourOK, gethOK)
			}
		}
	}
}
