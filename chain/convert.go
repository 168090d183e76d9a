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

// ToBindingStatement converts a statement for the Inbox's submitBatch.
func ToBindingStatement(s *protocol.Statement) ([]bindings.ProtocolLaneClaim, []bindings.ProtocolRotationClaim) {
	lanes := make([]bindings.ProtocolLaneClaim, len(s.Lanes))
	for i, c := range s.Lanes {
		lanes[i] = bindings.ProtocolLaneClaim{
			SrcDomain: c.SrcDomain, DstDomain: c.DstDomain, Outbox: c.Outbox, Committee: c.Committee,
			BlockNumber: c.BlockNumber, BlockHash: c.BlockHash, Count: c.Count, Acc: c.Acc,
		}
	}
	rotations := make([]bindings.ProtocolRotationClaim, len(s.Rotations))
	for i, r := range s.Rotations {
		rotations[i] = bindings.ProtocolRotationClaim{
			SrcDomain: r.SrcDomain, Committee: r.Committee, NextEpoch: r.NextEpoch, NextCommittee: r.NextCommittee,
		}
	}
	return lanes, rotations
}
