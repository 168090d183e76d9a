package aggregate

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// standInKeys are verifying keys of stand-in circuits with the leaves' public inputs.
func standInKeys(t testing.TB, claims int) Keys {
	f := ecc.BLS12_377.ScalarField()
	return Keys{
		Statement: circuittest.StandInKey(t, f, StatementInputs(claims, 0, 0), true),
		Header:    circuittest.StandInKey(t, f, HeaderInputs, true),
		Step:      circuittest.StandInKey(t, f, StepInputs, true),
	}
}

func TestNewRefusesKeysOfAnotherShape(t *testing.T) {
	one, two := standInKeys(t, 1), standInKeys(t, 2)
	if _, err := New(Shape{1, 4, 3, 0, 0, 0, 0, 0}, one); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Shape{2, 4, 3, 0, 0, 0, 0, 0}, one); err == nil {
		t.Error("a statement key of 1 claim taken for a shape of 2")
	}
	swapped := one
	swapped.Header, swapped.Step = one.Step, one.Header
	if _, err := New(Shape{1, 4, 3, 0, 0, 0, 0, 0}, swapped); err == nil {
		t.Error("header and step keys swapped were taken")
	}
	if _, err := New(Shape{2, 4, 3, 0, 0, 0, 0, 0}, two); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Shape{1, 0, 3, 0, 0, 0, 0, 0}, one); err == nil {
		t.Error("an empty account chain was taken")
	}
	withRotation := one
	if _, err := New(Shape{1, 4, 3, 1, 0, 0, 0, 0}, withRotation); err == nil {
		t.Error("a shape with a rotation slot taken without a rotation key")
	}
	withRotation.Rotation = circuittest.StandInKey(t, ecc.BLS12_377.ScalarField(), RotationInputs, true)
	if _, err := New(Shape{1, 4, 3, 1, 0, 0, 0, 0}, withRotation); err == nil {
		t.Error("a statement key without rotation inputs taken for a shape with a rotation slot")
	}
	withRotation.Statement = circuittest.StandInKey(t, ecc.BLS12_377.ScalarField(), StatementInputs(1, 0, 1), true)
	if _, err := New(Shape{1, 4, 3, 1, 0, 0, 0, 0}, withRotation); err != nil {
		t.Fatal(err)
	}
	bn := circuittest.StandInKey(t, ecc.BN254.ScalarField(), StepInputs, true)
	wrongCurve := one
	wrongCurve.Step = bn
	if _, err := New(Shape{1, 4, 3, 0, 0, 0, 0, 0}, wrongCurve); err == nil {
		t.Error("a BN254 key taken for a leaf")
	}
}

func TestParseShape(t *testing.T) {
	for _, s := range []Shape{{1, 4, 3, 0, 0, 0, 0, 0}, {1, 9, 7, 0, 0, 0, 0, 0}, {16, 10, 8, 0, 0, 0, 0, 0}, {1, 4, 3, 1, 0, 0, 0, 0}, {2, 9, 7, 3, 0, 0, 0, 0},
		{1, 4, 3, 1, 1, 2, 0, 0}, {0, 4, 3, 0, 2, 0, 0, 0}, {1, 4, 3, 0, 3, 3, 0, 0}, {0, 4, 3, 0, 0, 0, 1, 0}, {1, 4, 3, 1, 0, 0, 2, 0}, {0, 9, 7, 1, 1, 3, 1, 0}, {0, 4, 3, 0, 0, 0, 1, 1}, {1, 4, 3, 1, 0, 0, 0, 2}} {
		got, err := ParseShape(s.String())
		if err != nil || got != s {
			t.Errorf("ParseShape(%q) = %v, %v", s, got, err)
		}
	}
	for _, text := range []string{"", "1x4", "1x4x3x0", "1x4x3x2x1", "1x4x3 ", "0x4x3", "1x0x3", "1x4x-3", "01x4x3", "axbxc", "1*4*3",
		"1x4x3+r1x2", "1x4x3x1+r0x0", "1x4x3x1+r1x-1", "1x4x3x1+r1", "1x4x3x1+r1x2x3", "0x4x3x0", "1x4x3x1+r0x2", "1x4x3x1+r01x2",
		"1x4x3+s1x1", "1x4x3x0+s0x0", "1x4x3x0+s-1x0", "1x4x3x0+s1", "1x4x3x0+s1x2x3", "1x4x3x0+r1x1+s1x0", "0x4x3x0+s01x1", "0x4x3x0+s0x1"} {
		if s, err := ParseShape(text); err == nil {
			t.Errorf("ParseShape(%q) = %v, want an error", text, s)
		}
	}
}
