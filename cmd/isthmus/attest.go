package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/attest"
	"github.com/isthmus-xyz/isthmus/chain/devkeys"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

type attestOptions struct {
	rpc       string
	domain    uint32
	index     int
	seedFile  string
	devnetKey bool
	listen    string
	poll      time.Duration
	stateFile string
	maxGap    uint64
	// A hand-over to sign: the current committee, the next one, its epoch.
	committee, nextCommittee string
	nextEpoch                uint64
}

func newAttestCmd(out io.Writer) *cobra.Command {
	o := &attestOptions{}
	cmd := &cobra.Command{
		Use: "attest",
		Example: `  isthmus attest --rpc http://127.0.0.1:8545 --domain 1 --seed-file member0.seed --listen 127.0.0.1:7001
  isthmus attest --rpc http://127.0.0.1:8545 --domain 1 --devnet-key --index 0`,
		Short: "Run an attester: sign the source chain's finalized headers, serve the signatures",
		Long: `Watches the finalized headers of a source chain (--rpc) and signs each with this
committee member's EdDSA key, the digest (domain, number, hash) the header leaf checks.
Signatures are served over HTTP on --listen: GET /attestations/{number|latest}.

It signs only a finalized header above the last one it signed whose parent hashes lead back
to it (at most --max-gap blocks), so never two hashes at one height; --state-file keeps
the last one across restarts. A header it refuses is logged with the reason.

The key comes from --seed-file (32 bytes, hex) or, on a devnet, --devnet-key (the public
seed of member --index).

A committee hand-over: with --next-committee FILE --next-epoch N --committee FILE (the
current committee, of which this key is member --index), it also signs the rotation claim
(domain, N, the next committee's commitment) and serves it with the next members at
GET /rotations/{N}; relays carry it in their next batch. It never signs two successors for
one epoch (the state file keeps the last hand-over signed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.rpc == "" || o.domain == 0 {
				return usageError(errors.New("--rpc and --domain are required"))
			}
			if o.devnetKey == (o.seedFile != "") {
				return usageError(errors.New("give one of --seed-file and --devnet-key"))
			}
			if (o.nextCommittee != "") != (o.nextEpoch != 0) || (o.nextCommittee != "" && o.committee == "") {
				return usageError(errors.New("a hand-over takes --next-committee, --next-epoch (at least 1) and --committee together"))
			}
			return o.run(cmd.Context(), out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rpc, "rpc", "", "source chain JSON-RPC endpoint")
	f.Uint32Var(&o.domain, "domain", 0, "the source chain's protocol domain")
	f.IntVar(&o.index, "index", 0, "this member's index in the committee")
	f.StringVar(&o.seedFile, "seed-file", "", "file holding the 32-byte key seed in hex")
	f.BoolVar(&o.devnetKey, "devnet-key", false, "use the devnet committee's public seed of --index (devnet only)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:7450", "HTTP address to serve attestations on")
	f.DurationVar(&o.poll, "poll", time.Second, "how often to read the finalized header")
	f.StringVar(&o.stateFile, "state-file", "isthmus-attester.json", "file keeping the last block signed, across restarts")
	f.Uint64Var(&o.maxGap, "max-gap", attest.DefaultMaxGap, "most blocks walked back by parent hash to link a new finalized header to the last one signed")
	f.StringVar(&o.committee, "committee", "", "the current committee file (with --next-committee)")
	f.StringVar(&o.nextCommittee, "next-committee", "", "committee file of the successor to sign a hand-over to")
	f.Uint64Var(&o.nextEpoch, "next-epoch", 0, "the successor's epoch (the Inbox's current epoch + 1)")
	return cmd
}

func (o *attestOptions) key() (*eddsa.PrivateKey, error) {
	if o.devnetKey {
		_, keys := devkeys.Committee()
		if o.index < 0 || o.index >= len(keys) {
			return nil, usageError(fmt.Errorf("--index %d: the devnet committee has %d members", o.index, len(keys)))
		}
		return keys[o.index], nil
	}
	data, err := os.ReadFile(o.seedFile)
	if err != nil {
		return nil, err
	}
	seed, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(data)), "0x"))
	if err != nil || len(seed) != 32 {
		return nil, fmt.Errorf("%s: want 32 bytes in hex", o.seedFile)
	}
	return committee.KeyFromSeed([32]byte(seed))
}

func (o *attestOptions) run(parent context.Context, out io.Writer) error {
	ctx, stop := interruptible(parent)
	defer stop()
	key, err := o.key()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{code: exitFailure, err: err}
	}
	client, err := chain.Dial(ctx, o.rpc)
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	a := &attest.Attester{Domain: o.domain, Index: o.index, Key: key, Chain: client.Eth, Poll: o.poll, Log: slog.Default(),
		StateFile: o.stateFile, MaxGap: o.maxGap}
	if o.nextCommittee != "" {
		if err := o.signRotation(a); err != nil {
			return &exitError{code: exitFailure, err: err}
		}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(out, "attester %d of domain %d serving on http://%s\n", o.index, o.domain, ln.Addr())
	err = a.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	return err
}

// signRotation signs the hand-over the flags describe.
func (o *attestOptions) signRotation(a *attest.Attester) error {
	read := func(path string) (committee.Committee, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		c, err := attest.DecodeCommittee(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return c, nil
	}
	current, err := read(o.committee)
	if err != nil {
		return err
	}
	next, err := read(o.nextCommittee)
	if err != nil {
		return err
	}
	return a.SignRotation(current, attest.Rotation{
		Claim: protocol.RotationClaim{SrcDomain: o.domain, Committee: current.CommitmentHash(), NextEpoch: o.nextEpoch, NextCommittee: next.CommitmentHash()},
		Next:  next,
	})
}
