package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// PackedOverhead is the size of a packed message besides its payload.
const PackedOverhead = 20 + 20 + 8 + 4

// PackedSize is the size of a packed message with a payload of n bytes.
func PackedSize(n int) int { return PackedOverhead + n }

// PackDelivery encodes messages as the Inbox's deliver takes them: back to back, each
// sender (20) ‖ recipient (20) ‖ gasLimit (8) ‖ payload length (4) ‖ payload. Nonces and
// domains are not sent: the Inbox takes them from the lane, so they must be the lane's next
// messages in order (which the Inbox checks through the accumulator).
func PackDelivery(msgs []Message) []byte {
	n := 0
	for i := range msgs {
		n += PackedSize(len(msgs[i].Payload))
	}
	out := make([]byte, 0, n)
	for i := range msgs {
		m := &msgs[i]
		out = append(out, m.Sender[:]...)
		out = append(out, m.Recipient[:]...)
		out = binary.BigEndian.AppendUint64(out, m.GasLimit)
		out = binary.BigEndian.AppendUint32(out, uint32(len(m.Payload)))
		out = append(out, m.Payload...)
	}
	return out
}

// UnpackDelivery decodes a packed delivery of lane src → dst whose first message has nonce
// first.
func UnpackDelivery(src, dst uint32, first uint64, data []byte) ([]Message, error) {
	var msgs []Message
	for p := 0; p < len(data); {
		if len(data)-p < PackedOverhead {
			return nil, fmt.Errorf("delivery byte %d: %w: truncated message", p, ErrBadEncoding)
		}
		n := int(binary.BigEndian.Uint32(data[p+48:]))
		if len(data)-p-PackedOverhead < n {
			return nil, fmt.Errorf("delivery byte %d: %w: payload of %d bytes runs past the end", p, ErrBadEncoding, n)
		}
		msgs = append(msgs, Message{
			SrcDomain: src, DstDomain: dst, Nonce: first + uint64(len(msgs)),
			Sender: common.BytesToAddress(data[p : p+20]), Recipient: common.BytesToAddress(data[p+20 : p+40]),
			GasLimit: binary.BigEndian.Uint64(data[p+40:]),
			Payload:  append([]byte{}, data[p+PackedOverhead:p+PackedOverhead+n]...),
		})
		p += PackedOverhead + n
	}
	return msgs, nil
}
