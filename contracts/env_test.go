package contracts_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

const (
	srcDomain = 1
	dstDomain = 2
	dayS      = 24 * 60 * 60
)

var devCommittee = testCommitment("test committee")

// syncPeriod is a test commitment of Ethereum's sync committee of period p.
func syncPeriod(p uint64) common.Hash {
	return testCommitment("sync committee of period", big.NewInt(int64(p)).Bytes())
}

// domainOf reads the Inbox's state of source domain src.
func (e *env) domainOf(src uint32) bindings.InboxDomain {
	e.t.Helper()
	st, err := bind.Call(e.inbox, nil, e.ib.PackDomain(src), e.ib.UnpackDomain)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// testCommitment is a committee commitment for tests, named by label: keccak256(label) reduced
// modulo protocol.CommitmentModulus, a canonical encoding as the Inbox requires.
func testCommitment(label string, more ...[]byte) common.Hash {
	h := crypto.Keccak256Hash(append([][]byte{[]byte(label)}, more...)...)
	return common.BigToHash(new(big.Int).Mod(h.Big(), protocol.CommitmentModulus))
}

// env is both ends of one lane on one simulated EVM (the Outbox's domain is only a number),
// with the Outbox's native twin kept in step.
type env struct {
	t                        testing.TB
	b                        *simulated.Backend
	owner, guardian, relayer *ecdsa.PrivateKey
	user                     *ecdsa.PrivateKey

	ob       *bindings.Outbox
	ib       *bindings.Inbox
	outbox   *bind.BoundContract
	inbox    *bind.BoundContract
	verifier common.Address
	lane     *protocol.Lane
	sent     []protocol.Message
	block    uint64 // block number used in claims
}

type envOption func(*envConfig)

type envConfig struct{ rateCapacity, rateWindow uint64 }

func withRateLimit(capacity, window uint64) envOption {
	return func(c *envConfig) { c.rateCapacity, c.rateWindow = capacity, window }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	var cfg envConfig
	for _, o := range opts {
		o(&cfg)
	}
	// Fixed keys: the addresses, and so the calldata and the gas figures, are the same every run.
	e := &env{t: t, owner: devnet.DevKey("owner"), guardian: devnet.DevKey("guardian"), relayer: devnet.DevKey("relayer"), user: devnet.DevKey("user"),
		ob: bindings.NewOutbox(), ib: bindings.NewInbox(), lane: protocol.NewLane(srcDomain, dstDomain), block: 100}
	funds := new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
	alloc := types.GenesisAlloc{}
	for _, k := range []*ecdsa.PrivateKey{e.owner, e.guardian, e.relayer, e.user} {
		alloc[addr(k)] = types.Account{Balance: funds}
	}
	e.b = devnet.SimulatedBackend(alloc)
	t.Cleanup(func() { e.b.Close() })

	e.outbox = e.ob.Instance(e.b.Client(), e.deploy(bindings.OutboxMetaData.Bin, e.ob.PackConstructor(srcDomain)))
	e.verifier = e.deploy(testbindings.TestOnlyVerifierMetaData.Bin, nil)
	inboxAddr := e.deploy(bindings.InboxMetaData.Bin,
		e.ib.PackConstructor(dstDomain, e.verifier, addr(e.owner), addr(e.guardian), big.NewInt(dayS)))
	e.inbox = e.ib.Instance(e.b.Client(), inboxAddr)
	e.must(e.tx(e.owner, e.inbox, e.ib.PackAddDomain(srcDomain, e.outbox.Address(), protocol.AdapterCommittee, devCommittee, 0, cfg.rateCapacity, uint32(cfg.rateWindow))))
	return e
}

func addr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func (e *env) deploy(bin string, args []byte) common.Address {
	e.t.Helper()
	a, tx, err := bind.DeployContract(bind.NewKeyedTransactor(e.owner, big.NewInt(1337)), common.FromHex(bin), e.b.Client(), args)
	if err != nil {
		e.t.Fatal(err)
	}
	e.b.Commit()
	if r, err := e.b.Client().TransactionReceipt(context.Background(), tx.Hash()); err != nil || r.Status != 1 {
		e.t.Fatalf("deploy failed: %v", err)
	}
	return a
}

// tx sends calldata and seals a block. A refusal comes back as a *chain.Revert.
func (e *env) tx(from *ecdsa.PrivateKey, c *bind.BoundContract, data []byte) (*types.Receipt, error) {
	return e.txGas(from, c, data, 0)
}

func (e *env) txGas(from *ecdsa.PrivateKey, c *bind.BoundContract, data []byte, gas uint64) (*types.Receipt, error) {
	opts := bind.NewKeyedTransactor(from, big.NewInt(1337))
	opts.GasLimit = gas
	unpack := func(raw []byte) (any, error) {
		if v, err := e.ib.UnpackError(raw); err == nil {
			return v, nil
		}
		return e.ob.UnpackError(raw)
	}
	tx, err := c.RawTransact(opts, data)
	if err != nil {
		return nil, chain.DecodeRevert(err, unpack)
	}
	e.b.Commit()
	r, err := e.b.Client().TransactionReceipt(context.Background(), tx.Hash())
	if err != nil {
		return nil, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return r, fmt.Errorf("transaction reverted on chain (gas used %d of %d)", r.GasUsed, tx.Gas())
	}
	return r, nil
}

func (e *env) must(r *types.Receipt, err error) *types.Receipt {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// wantRevert fails unless err is the contract's custom error named want (e.g. "InboxNotProven").
func wantRevert(t testing.TB, err error, want string) {
	t.Helper()
	var r *chain.Revert
	if !errors.As(err, &r) || r.Decoded == nil {
		t.Fatalf("want revert %s, got %v", want, err)
	}
	if got := reflect.TypeOf(r.Decoded).Elem().Name(); got != want {
		t.Fatalf("want revert %s, got %s%+v", want, got, r.Decoded)
	}
}

// send sends a message on the Outbox and in the native twin.
func (e *env) send(recipient common.Address, gasLimit uint64, payload []byte) protocol.Message {
	e.t.Helper()
	e.must(e.tx(e.user, e.outbox, e.ob.PackSend(dstDomain, recipient, gasLimit, payload)))
	m, _, err := e.lane.Send(addr(e.user), recipient, gasLimit, payload)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sent = append(e.sent, m)
	return m
}

// claim is the lane claim for count, with the accumulator the native twin gives.
func (e *env) claim(count uint64) protocol.LaneClaim {
	acc, err := protocol.Accumulator{}.Accumulate(e.sent[:count])
	if err != nil {
		e.t.Fatal(err)
	}
	return protocol.LaneClaim{
		Kind: protocol.KindLaneHead, SrcDomain: srcDomain, DstDomain: dstDomain, Outbox: e.outbox.Address(), Committee: devCommittee,
		BlockNumber: e.block, BlockHash: crypto.Keccak256Hash(big.NewInt(int64(e.block)).Bytes()), Count: count, Acc: acc.Acc,
	}
}

// submit submits a statement with the proof the TestOnlyVerifier accepts for it.
func (e *env) submit(s protocol.Statement) (*types.Receipt, error) {
	return e.submitWithProof(s, devnet.TestOnlyProof(s.PublicInput()))
}

func (e *env) submitWithProof(s protocol.Statement, proof []byte) (*types.Receipt, error) {
	return e.tx(e.relayer, e.inbox, e.ib.PackSubmitBatch(proof, s.Claims()))
}

func (e *env) prove(counts ...uint64) {
	e.t.Helper()
	var s protocol.Statement
	for _, c := range counts {
		s.Lanes = append(s.Lanes, e.claim(c))
	}
	e.must(e.submit(s))
}

func (e *env) deliver(msgs []protocol.Message) (*types.Receipt, error) {
	return e.tx(e.relayer, e.inbox, e.ib.PackDeliver(srcDomain, protocol.PackDelivery(msgs)))
}

func (e *env) domainState() bindings.InboxDomain {
	e.t.Helper()
	st, err := bind.Call(e.inbox, nil, e.ib.PackDomain(srcDomain), e.ib.UnpackDomain)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// recorder deploys a TestRecordingRecipient.
func (e *env) recorder() (common.Address, *bind.BoundContract, *testbindings.TestRecordingRecipient) {
	rb := testbindings.NewTestRecordingRecipient()
	a := e.deploy(testbindings.TestRecordingRecipientMetaData.Bin, nil)
	return a, rb.Instance(e.b.Client(), a), rb
}

func received(t testing.TB, c *bind.BoundContract, rb *testbindings.TestRecordingRecipient) []uint64 {
	t.Helper()
	n, err := bind.Call(c, nil, rb.PackReceivedCount(), rb.UnpackReceivedCount)
	if err != nil {
		t.Fatal(err)
	}
	var nonces []uint64
	for i := int64(0); i < n.Int64(); i++ {
		r, err := bind.Call(c, nil, rb.PackReceived(big.NewInt(i)), rb.UnpackReceived)
		if err != nil {
			t.Fatal(err)
		}
		nonces = append(nonces, r.Nonce)
	}
	return nonces
}

func hasEvent(r *types.Receipt, unpack func(*types.Log) error) bool {
	for _, l := range r.Logs {
		if unpack(l) == nil {
			return true
		}
	}
	return false
}

func toBinding(m protocol.Message) bindings.ProtocolMessage {
	return chain.ToBindingMessages([]protocol.Message{m})[0]
}

// adjustTime moves the chain's clock forward by d. The simulated beacon refuses while its
// pool lists a pending transaction, and the pool drops mined transactions only when its
// background loop sees the new head, so a transaction mined just before can still be listed:
// wait for that, briefly.
func (e *env) adjustTime(d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := e.b.AdjustTime(d)
		if err == nil {
			return
		}
		if err.Error() != "could not adjust time on non-empty block" || time.Now().After(deadline) {
			e.t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// provenAcc is the accumulator the Inbox holds as proven for count (zero if none).
func (e *env) provenAcc(count uint64) common.Hash {
	e.t.Helper()
	acc, err := bind.Call(e.inbox, nil, e.ib.PackProvenAcc(srcDomain, count), e.ib.UnpackProvenAcc)
	if err != nil {
		e.t.Fatal(err)
	}
	return acc
}
