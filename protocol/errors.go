package protocol

import "errors"

var (
	// ErrSameDomain: a message's source and destination domains are equal.
	ErrSameDomain = errors.New("source and destination domain are the same")
	// ErrPayloadTooLarge: a payload above MaxPayload.
	ErrPayloadTooLarge = errors.New("payload too large")
	// ErrGasLimitTooHigh: a gasLimit above MaxGasLimit.
	ErrGasLimitTooHigh = errors.New("gas limit too high")
	// ErrOutOfOrder: a message that does not continue its lane.
	ErrOutOfOrder = errors.New("message out of order")
	// ErrBadEncoding: bytes that are not a valid encoding.
	ErrBadEncoding = errors.New("bad encoding")
)
