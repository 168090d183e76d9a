// Package testcircuit holds small circuits for the tests of the key store, the job queue and
// the commands: their setups take milliseconds.
package testcircuit

import "github.com/consensys/gnark/frontend"

// Square proves knowledge of a square root: Y = X², Y public.
type Square struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

// Define is gnark's.
func (c *Square) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	return nil
}
