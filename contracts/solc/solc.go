// Package solc runs the pinned Solidity compiler (solc-js, through contracts/solc.js) on
// standard JSON input.
package solc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Settings are the compiler settings that vary between uses.
type Settings struct {
	EVMVersion    string
	OptimizerRuns int
	// AllowWarnings accepts sources that compile with warnings (generated code).
	AllowWarnings bool
}

// Contract is one compiled contract.
type Contract struct {
	ABI json.RawMessage `json:"abi"`
	EVM struct {
		Bytecode         struct{ Object string } `json:"bytecode"`
		DeployedBytecode struct{ Object string } `json:"deployedBytecode"`
	} `json:"evm"`
}

// Compile compiles sources (path → content) with the pinned solc-js found under
// contractsDir (installed by 'make deps'), and returns the contracts by source and name, and
// the compiler's version. Warnings fail the compilation unless settings allow them.
func Compile(contractsDir string, sources map[string]string, settings Settings) (map[string]map[string]Contract, string, error) {
	type source struct {
		Content string `json:"content"`
	}
	input := map[string]any{
		"language": "Solidity",
		"sources": func() map[string]source {
			m := map[string]source{}
			for k, v := range sources {
				m[k] = source{v}
			}
			return m
		}(),
		"settings": map[string]any{
			"optimizer":       map[string]any{"enabled": true, "runs": settings.OptimizerRuns},
			"evmVersion":      settings.EVMVersion,
			"outputSelection": map[string]any{"*": map[string]any{"*": []string{"abi", "evm.bytecode.object", "evm.deployedBytecode.object"}}},
		},
	}
	in, err := json.Marshal(input)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command("node", filepath.Join(contractsDir, "solc.js"))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("run solc-js (is the pinned compiler installed? run 'make deps'): %w: %s", err, stderr.String())
	}
	var res struct {
		Errors []struct {
			Severity         string `json:"severity"`
			FormattedMessage string `json:"formattedMessage"`
		} `json:"errors"`
		Contracts map[string]map[string]Contract `json:"contracts"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, "", fmt.Errorf("decode solc output: %w", err)
	}
	var problems []string
	for _, e := range res.Errors {
		if e.Severity == "warning" && settings.AllowWarnings {
			continue
		}
		problems = append(problems, e.FormattedMessage)
	}
	if len(problems) > 0 {
		return nil, "", errors.New("solc:\n" + strings.Join(problems, "\n"))
	}
	version, err := exec.Command("node", filepath.Join(contractsDir, "solc.js"), "--version").Output()
	if err != nil {
		return nil, "", fmt.Errorf("solc version: %w", err)
	}
	return res.Contracts, strings.TrimSpace(string(version)), nil
}
