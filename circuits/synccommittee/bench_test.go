package synccommittee

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/prover"
)

// BenchmarkSyncCommittee/<piece>: each sync-committee circuit at mainnet's size on the first
// shared update: Groth16 setup and proving seconds (the proof checked), constraints, and the
// peak resident memory of each phase. Keys are made here, not kept. Run one piece at a time
// for a meaningful peak:
//
//	go test ./circuits/synccommittee -run '^$' -bench 'BenchmarkSyncCommittee/signature-512' -benchtime 1x -timeout 3h
func BenchmarkSyncCommittee(b *testing.B) {
	s, _ := mainnetStore(b)
	u := mainnetUpdates(b)[0]
	attested := u.AttestedHeader.Beacon.Header()
	version := s.Config.ForkAt(s.Config.Epoch(uint64(u.SignatureSlot) - 1)).Version
	domain := Domain(DomainSyncCommittee, version, s.Config.GenesisValidatorsRoot)
	signing := SigningRoot(attested.Root(), DomainSyncCommittee, version, s.Config.GenesisValidatorsRoot)
	finalized := u.FinalizedHeader.Beacon.Header()
	next, err := s.Config.NewCommittee(u.NextSyncCommittee)
	if err != nil {
		b.Fatal(err)
	}
	rotation := func() *Rotation {
		r, err := RotationProof(next, s.Config.Period(attested.Slot)+1, ChunkKeys, MerkleWidth, NextSyncCommitteeGindex, attested.StateRoot, u.NextSyncCommitteeBranch)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	pieces := []struct {
		name    string
		circuit func() frontend.Circuit
		assign  func() (frontend.Circuit, error)
	}{
		{"signature-512", func() frontend.Circuit { return NewSignatureCircuit(512) },
			func() (frontend.Circuit, error) {
				return AssignSignature(s.Current, s.Config.Period(uint64(u.SignatureSlot)), &u.SyncAggregate, signing)
			}},
		{"header", func() frontend.Circuit { return &HeaderCircuit{} },
			func() (frontend.Circuit, error) { return AssignHeader(&attested, domain) }},
		{"branch-finality", func() frontend.Circuit { return NewBranchCircuit(FinalizedRootGindex) },
			func() (frontend.Circuit, error) {
				return AssignBranch(FinalizedRootGindex, finalized.Root(), attested.StateRoot, u.FinalityBranch)
			}},
		{"finalized-header", func() frontend.Circuit { return &FinalizedHeaderCircuit{} },
			func() (frontend.Circuit, error) { return AssignFinalizedHeader(u.FinalizedHeader) }},
		{"payload-capella", func() frontend.Circuit { return NewPayloadCircuit(false) },
			func() (frontend.Circuit, error) {
				exec, err := u.FinalizedHeader.Execution.Header()
				if err != nil {
					return nil, err
				}
				return AssignPayload(&exec)
			}},
		{"rotation-chunk-4", func() frontend.Circuit { return NewCommitteeChunkCircuit(ChunkKeys) },
			func() (frontend.Circuit, error) { return rotation().Chunks[0], nil }},
		{"rotation-merkle-8", func() frontend.Circuit { return NewMerkleCircuit(MerkleWidth) },
			func() (frontend.Circuit, error) { return rotation().Layers[0][0], nil }},
		{"rotation-root-2", func() frontend.Circuit { return NewCommitteeRootCircuit(2, NextSyncCommitteeGindex) },
			func() (frontend.Circuit, error) { return rotation().Root, nil }},
	}
	field := ecc.BLS12_377.ScalarField()
	for _, p := range pieces {
		b.Run(p.name, func(b *testing.B) {
			ccs, err := frontend.Compile(field, r1cs.NewBuilder, p.circuit())
			if err != nil {
				b.Fatal(err)
			}
			a, err := p.assign()
			if err != nil {
				b.Fatal(err)
			}
			w, err := frontend.NewWitness(a, field)
			if err != nil {
				b.Fatal(err)
			}
			public, err := w.Public()
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				free()
				start := time.Now()
				pk, vk, err := groth16.Setup(ccs)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "setup-s")
				b.ReportMetric(prover.PeakGiB(), "setup-peak-GiB")
				free()
				opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field)
				start = time.Now()
				proof, err := groth16.Prove(ccs, pk, w, opt)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "prove-s")
				b.ReportMetric(prover.PeakGiB(), "prove-peak-GiB")
				if err := groth16.Verify(proof, vk, public, stdgroth16.GetNativeVerifierOptions(ecc.BW6_761.ScalarField(), field)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
		})
	}
}

// free returns the heap to the system and restarts the peak, so that a phase's peak is its own.
func free() {
	runtime.GC()
	debug.FreeOSMemory()
	prover.ResetPeak()
}
