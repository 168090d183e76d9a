package chain

import (
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

func toBindingMessage(m *protocol.Message) bindings.ProtocolMessage {
	return bindings.ProtocolMessage{
		SrcDomain: m.SrcDomain, DstDomain: m.DstDomain, Nonce: m.Nonce, Sender: m.Sender,
		Recipient: m.Recipient, GasLimit: m.GasLimit, Payload: m.Payload,
	}
}

// ToBindingMessages converts messages for the Inbox's deliver.
func ToBindingMessages(msgs []protocol.Message) []bindings.ProtocolMessage {
	out := make([]bindings.ProtocolMessage, len(msgs))
	for i := range msgs {
		out[i] = toBindingMessage(&msgs[i])
	}
	return out
}
