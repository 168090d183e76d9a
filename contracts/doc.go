// Package contracts holds the Isthmus Solidity contracts (src/), their test doubles (test/),
// the compiled artifacts (artifacts/) and the generated Go bindings (bindings/,
// testbindings/). Its tests run the contracts on go-ethereum's simulated EVM.
package contracts

//go:generate go run ./internal/gen .
