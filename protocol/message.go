package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// Message is one cross-chain message.
type Message struct {
	SrcDomain uint32         `json:"srcDomain"`
	DstDomain uint32         `json:"dstDomain"`
	Nonce     uint64         `json:"nonce"`
	Sender    common.Address `json:"sender"`
	Recipient common.Address `json:"recipient"`
	GasLimit  uint64         `json:"gasLimit"`
	Payload   hexutil.Bytes  `json:"payload"`
}

// Encode returns abi.encode(srcDomain, dstDomain, nonce, sender, recipient, gasLimit, payload).
func (m *Message) Encode() []byte {
	padded := (len(m.Payload) + 31) / 32 * 32
	out := make([]byte, 8*32+padded)
	putWord(out[0:], m.SrcDomain)
	putWord(out[32:], m.DstDomain)
	binary.BigEndian.PutUint64(out[64+24:], m.Nonce)
	copy(out[96+12:], m.Sender[:])
	copy(out[128+12:], m.Recipient[:])
	binary.BigEndian.PutUint64(out[160+24:], m.GasLimit)
	binary.BigEndian.PutUint64(out[192+24:], 7*32) // offset of payload
	binary.BigEndian.PutUint64(out[224+24:], uint64(len(m.Payload)))
	copy(out[256:], m.Payload)
	return out
}

func putWord(word []byte, v uint32) {
	binary.BigEndian.PutUint32(word[28:32], v)
}

// Hash is the message hash: keccak256 of Encode.
func (m *Message) Hash() common.Hash {
	return crypto.Keccak256Hash(m.Encode())
}

// Validate checks the limits the Outbox enforces on send.
func (m *Message) Validate() error {
	if m.SrcDomain == m.DstDomain {
		return fmt.Errorf("message %d: %w: %d", m.Nonce, ErrSameDomain, m.SrcDomain)
	}
	if len(m.Payload) > MaxPayload {
		return fmt.Errorf("message %d: %w: %d bytes, at most %d", m.Nonce, ErrPayloadTooLarge, len(m.Payload), MaxPayload)
	}
	if m.GasLimit > MaxGasLimit {
		return fmt.Errorf("message %d: %w: %d, at most %d", m.Nonce, ErrGasLimitTooHigh, m.GasLimit, MaxGasLimit)
	}
	return nil
}

// Fold returns keccak256(acc ‖ msgHash), the accumulator after one more message.
func Fold(acc, msgHash common.Hash) common.Hash {
	return crypto.Keccak256Hash(acc[:], msgHash[:])
}

// Accumulator is a lane's (count, acc) pair.
type Accumulator struct {
	Count uint64      `json:"count"`
	Acc   common.Hash `json:"acc"`
}

// Append folds one message hash into the accumulator.
func (a *Accumulator) Append(msgHash common.Hash) {
	a.Acc = Fold(a.Acc, msgHash)
	a.Count++
}

// Accumulate folds messages into a copy of a, checking that they continue its lane in order.
func (a Accumulator) Accumulate(msgs []Message) (Accumulator, error) {
	for i := range msgs {
		if msgs[i].Nonce != a.Count {
			return a, fmt.Errorf("message %d: %w: nonce %d, expected %d", i, ErrOutOfOrder, msgs[i].Nonce, a.Count)
		}
		a.Append(msgs[i].Hash())
	}
	return a, nil
}
