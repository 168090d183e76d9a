package prover

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// A Pin is what an operator trusts of a circuit's keys, kept out of band (a deployment
// record, a config file), never taken from where the keys travel: the circuit's digest, the
// checksum of every key file, and whether the keys are development keys. Keys fetched from a
// server's object store enter a store only when they match their circuit's pin, and take
// their trust from it, not from the manifest that came with them.
type Pin struct {
	Circuit     string             `json:"circuit"`
	Digest      string             `json:"digest"`
	Files       map[string]FileSum `json:"files"`
	Development bool               `json:"development"`
}

// Pins are pins by circuit name.
type Pins map[string]Pin

// ErrUnpinned is returned for keys of a circuit that has no pin, or that differ from it.
var ErrUnpinned = errors.New("keys not pinned")

// PinOf is the pin of the keys a manifest describes.
func PinOf(m *Manifest) Pin {
	files := make(map[string]FileSum, len(m.Files))
	for f, sum := range m.Files {
		files[f] = sum
	}
	return Pin{Circuit: m.Circuit, Digest: m.Digest, Files: files, Development: m.Development}
}

// Pins are the pins of the stored keys of circuits (every stored circuit when none is named),
// each checked against its manifest first.
func (s *Store) Pins(circuits []string) (Pins, error) {
	if len(circuits) == 0 {
		ms, err := s.List()
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			circuits = append(circuits, m.Circuit)
		}
	}
	out := Pins{}
	for _, name := range circuits {
		m, err := s.CheckCircuit(name)
		if err != nil {
			return nil, err
		}
		out[name] = PinOf(m)
	}
	return out, nil
}

// Matches reports whether a manifest describes the pinned keys: the same circuit, digest and
// files with the same checksums.
func (p Pin) Matches(m *Manifest) error {
	if m.Circuit != p.Circuit || m.Digest != p.Digest {
		return fmt.Errorf("%w: keys of %s (digest %.16s), pinned %s (digest %.16s)", ErrUnpinned, m.Circuit, m.Digest, p.Circuit, p.Digest)
	}
	if len(m.Files) != len(p.Files) {
		return fmt.Errorf("%w: %s: %d files, pinned %d", ErrUnpinned, p.Circuit, len(m.Files), len(p.Files))
	}
	for f, sum := range p.Files {
		if m.Files[f] != sum {
			return fmt.Errorf("%w: %s: file %s differs from its pin", ErrUnpinned, p.Circuit, f)
		}
	}
	return nil
}

// Trusted is m with the pin's trust: its development flag (a manifest's own word is never
// trust).
func (p Pin) Trusted(m Manifest) Manifest {
	m.Development = p.Development
	return m
}

// WritePins writes pins as JSON, by circuit.
func WritePins(path string, pins Pins) error {
	data, err := json.MarshalIndent(pins, "", "  ") // keys sorted
	if err != nil {
		return err
	}
	_, err = writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
	return err
}

// ReadPins reads a pin file written by WritePins ('isthmus keys pins').
func ReadPins(path string) (Pins, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key pins: %w", err)
	}
	var pins Pins
	if err := json.Unmarshal(data, &pins); err != nil {
		return nil, fmt.Errorf("key pins %s: %w", path, err)
	}
	for name, p := range pins {
		if p.Circuit != name || len(p.Digest) < 16 || len(p.Files) == 0 {
			return nil, fmt.Errorf("key pins %s: the pin of %q is malformed", path, name)
		}
	}
	return pins, nil
}
