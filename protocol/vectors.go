package protocol

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// VectorsFile is the golden-vector file, relative to the repository root.
const VectorsFile = "testdata/protocol/vectors.json"

// Vectors pins the protocol encodings for every implementation (Go, Solidity, circuits).
type Vectors struct {
	Messages []MessageVector `json:"messages"`
	// Delivery is the messages packed as the Inbox's deliver takes them.
	Delivery       hexutil.Bytes    `json:"delivery"`
	LaneClaims     []LaneVector     `json:"laneClaims"`
	EventClaims    []EventVector    `json:"eventClaims"`
	RotationClaims []RotationVector `json:"rotationClaims"`
	Statements     []StatementVec   `json:"statements"`
	OutboxSlots    []SlotVector     `json:"outboxSlots"`
}

// MessageVector is a message, its encoding and hash, and the lane accumulator after it
// (the messages form one lane from acc_0 = 0).
type MessageVector struct {
	Message  Message       `json:"message"`
	Encoded  hexutil.Bytes `json:"encoded"`
	Hash     common.Hash   `json:"hash"`
	AccAfter common.Hash   `json:"accAfter"`
}

// LaneVector is a lane claim with its packed encoding and hash.
type LaneVector struct {
	Claim   LaneClaim     `json:"claim"`
	Encoded hexutil.Bytes `json:"encoded"`
	Hash    common.Hash   `json:"hash"`
}

// EventVector is an event claim with its packed encoding, hash and ID.
type EventVector struct {
	Claim   EventClaim    `json:"claim"`
	Encoded hexutil.Bytes `json:"encoded"`
	Hash    common.Hash   `json:"hash"`
	ID      common.Hash   `json:"id"`
}

// RotationVector is a rotation claim with its packed encoding and hash.
type RotationVector struct {
	Claim   RotationClaim `json:"claim"`
	Encoded hexutil.Bytes `json:"encoded"`
	Hash    common.Hash   `json:"hash"`
}

// StatementVec is a statement given by indices into LaneClaims, EventClaims and
// RotationClaims.
type StatementVec struct {
	Lanes       []int        `json:"lanes"`
	Events      []int        `json:"events,omitempty"`
	Rotations   []int        `json:"rotations"`
	Hash        common.Hash  `json:"hash"`        // the statement chain (Statement.Hash)
	PublicInput *hexutil.Big `json:"publicInput"` // its low 252 bits
}

// SlotVector gives the Outbox storage slots of one lane and one of its checkpoints.
type SlotVector struct {
	DstDomain       uint32      `json:"dstDomain"`
	LaneWordSlot    common.Hash `json:"laneWordSlot"`
	LaneAccSlot     common.Hash `json:"laneAccSlot"`
	CheckpointCount uint64      `json:"checkpointCount"`
	CheckpointSlot  common.Hash `json:"checkpointSlot"`
}

// Statement assembles statement i from the vectors' claims.
func (v *Vectors) Statement(i int) Statement {
	var s Statement
	for _, j := range v.Statements[i].Lanes {
		s.Lanes = append(s.Lanes, v.LaneClaims[j].Claim)
	}
	for _, j := range v.Statements[i].Events {
		s.Events = append(s.Events, v.EventClaims[j].Claim)
	}
	for _, j := range v.Statements[i].Rotations {
		s.Rotations = append(s.Rotations, v.RotationClaims[j].Claim)
	}
	return s
}

// LoadVectors reads a golden-vector file.
func LoadVectors(path string) (*Vectors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read vectors: %w", err)
	}
	var v Vectors
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("decode vectors %s: %w", path, err)
	}
	return &v, nil
}
