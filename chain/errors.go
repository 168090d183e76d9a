package chain

import "errors"

var (
	// ErrUnreachable: the JSON-RPC endpoint did not answer.
	ErrUnreachable = errors.New("rpc endpoint unreachable")
	// ErrNoContract: no contract at the address given (another chain, or a typo).
	ErrNoContract = errors.New("no contract at this address on this chain")
	// ErrNotOutbox: a contract that is not an Outbox where one was expected.
	ErrNotOutbox = errors.New("not an Outbox")
	// ErrBadProof: a storage proof that does not verify against the block's stateRoot.
	ErrBadProof = errors.New("storage proof does not verify")
	// ErrNotLaneSequence: messages that are not consecutive messages of one lane.
	ErrNotLaneSequence = errors.New("messages are not a consecutive run of the lane")
	// ErrMissingMessages: the events do not rebuild the proven accumulator.
	ErrMissingMessages = errors.New("messages do not rebuild the lane accumulator")
)
