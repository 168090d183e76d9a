package chain

import "errors"

var (
	// ErrUnreachable: the JSON-RPC endpoint did not answer.
	ErrUnreachable = errors.New("rpc endpoint unreachable")
	// ErrBadProof: a storage proof that does not verify against the block's stateRoot.
	ErrBadProof = errors.New("storage proof does not verify")
	// ErrNotLaneSequence: messages that are not consecutive messages of one lane.
	ErrNotLaneSequence = errors.New("messages are not a consecutive run of the lane")
	// ErrMissingMessages: the events do not rebuild the proven accumulator.
	ErrMissingMessages = errors.New("messages do not rebuild the lane accumulator")
)
