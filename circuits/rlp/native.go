package rlp

import (
	"errors"
	"fmt"
)

// MaxLenOfLen bounds the length of a long-form length: payloads are shorter than 2^16 bytes.
const MaxLenOfLen = 2

var (
	// ErrTruncated: the item runs past the end of the data.
	ErrTruncated = errors.New("rlp: item runs past the end")
	// ErrNonCanonical: a size or integer that go-ethereum rejects as non-canonical.
	ErrNonCanonical = errors.New("rlp: non-canonical encoding")
	// ErrTooLong: a length of length above MaxLenOfLen.
	ErrTooLong = errors.New("rlp: payload too long for this decoder")
	// ErrKind: an item of the wrong kind (list for string or the reverse), or a wrong size.
	ErrKind = errors.New("rlp: unexpected item")
)

// Item is one decoded RLP item: the payload is data[PayloadOffset:End].
type Item struct {
	Offset        int
	IsList        bool
	PayloadOffset int
	PayloadLen    int
	End           int
}

// DecodeItem decodes the item that starts at data[offset].
func DecodeItem(data []byte, offset int) (Item, error) {
	if offset >= len(data) {
		return Item{}, fmt.Errorf("offset %d: %w", offset, ErrTruncated)
	}
	b := data[offset]
	it := Item{Offset: offset}
	switch {
	case b < 0x80:
		it.PayloadOffset, it.PayloadLen = offset, 1
	case b&0x3f < 0x38:
		it.IsList = b >= 0xc0
		it.PayloadOffset, it.PayloadLen = offset+1, int(b&0x3f)
		if !it.IsList && it.PayloadLen == 1 {
			if offset+1 >= len(data) {
				return Item{}, fmt.Errorf("offset %d: %w", offset, ErrTruncated)
			}
			if data[offset+1] < 0x80 {
				return Item{}, fmt.Errorf("offset %d: %w: single byte below 0x80 in a string", offset, ErrNonCanonical)
			}
		}
	default:
		it.IsList = b >= 0xc0
		lenOfLen := int(b&0x07) + 1
		if lenOfLen > MaxLenOfLen {
			return Item{}, fmt.Errorf("offset %d: %w: length of length %d", offset, ErrTooLong, lenOfLen)
		}
		if offset+1+lenOfLen > len(data) {
			return Item{}, fmt.Errorf("offset %d: %w", offset, ErrTruncated)
		}
		if data[offset+1] == 0 {
			return Item{}, fmt.Errorf("offset %d: %w: length with a leading zero", offset, ErrNonCanonical)
		}
		for i := 0; i < lenOfLen; i++ {
			it.PayloadLen = it.PayloadLen<<8 | int(data[offset+1+i])
		}
		if it.PayloadLen < 56 {
			return Item{}, fmt.Errorf("offset %d: %w: long form for %d bytes", offset, ErrNonCanonical, it.PayloadLen)
		}
		it.PayloadOffset = offset + 1 + lenOfLen
	}
	it.End = it.PayloadOffset + it.PayloadLen
	if it.End > len(data) {
		return Item{}, fmt.Errorf("offset %d: %w: ends at %d of %d", offset, ErrTruncated, it.End, len(data))
	}
	return it, nil
}

// DecodeList decodes the list at data[offset] and its items, which must fill it exactly.
func DecodeList(data []byte, offset int) (Item, []Item, error) {
	list, err := DecodeItem(data, offset)
	if err != nil {
		return Item{}, nil, err
	}
	if !list.IsList {
		return Item{}, nil, fmt.Errorf("offset %d: %w: want a list", offset, ErrKind)
	}
	var items []Item
	for p := list.PayloadOffset; p < list.End; {
		it, err := DecodeItem(data[:list.End], p)
		if err != nil {
			return Item{}, nil, fmt.Errorf("list item %d: %w", len(items), err)
		}
		items = append(items, it)
		p = it.End
	}
	return list, items, nil
}

// Uint decodes a canonical big-endian integer of at most maxBytes (<= 8) bytes.
func Uint(data []byte, it Item, maxBytes int) (uint64, error) {
	if err := CanonicalUint(data, it, min(maxBytes, 8)); err != nil {
		return 0, err
	}
	var v uint64
	for _, b := range data[it.PayloadOffset:it.End] {
		v = v<<8 | uint64(b)
	}
	return v, nil
}

// CanonicalUint checks that an item is a canonical big-endian integer of at most maxBytes
// bytes (any size, unlike Uint, which returns its value).
func CanonicalUint(data []byte, it Item, maxBytes int) error {
	if it.IsList {
		return fmt.Errorf("offset %d: %w: want an integer", it.Offset, ErrKind)
	}
	if it.PayloadLen > maxBytes {
		return fmt.Errorf("offset %d: %w: %d-byte integer, at most %d", it.Offset, ErrKind, it.PayloadLen, maxBytes)
	}
	if it.PayloadLen > 0 && data[it.PayloadOffset] == 0 {
		return fmt.Errorf("offset %d: %w: integer with a leading zero", it.Offset, ErrNonCanonical)
	}
	return nil
}

// String returns the payload of a string of at most maxLen bytes.
func String(data []byte, it Item, maxLen int) ([]byte, error) {
	if it.IsList || it.PayloadLen > maxLen {
		return nil, fmt.Errorf("offset %d: %w: want a string of at most %d bytes", it.Offset, ErrKind, maxLen)
	}
	return data[it.PayloadOffset:it.End], nil
}

// Fixed returns the payload of a string of exactly n bytes.
func Fixed(data []byte, it Item, n int) ([]byte, error) {
	if it.IsList || it.PayloadLen != n {
		return nil, fmt.Errorf("offset %d: %w: want a %d-byte string", it.Offset, ErrKind, n)
	}
	return data[it.PayloadOffset:it.End], nil
}
