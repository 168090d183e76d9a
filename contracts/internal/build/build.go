// Package build compiles the Isthmus contracts with the pinned solc-js and generates their Go
// bindings with go-ethereum's abigen (v2). `go generate ./contracts` writes the results into
// the repository; the package's test fails when what is committed is stale.
package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi/abigen"

	"github.com/isthmus-xyz/isthmus/contracts/solc"
)

// EVMVersion is the hard fork the contracts are compiled for.
const EVMVersion = "cancun"

// OptimizerRuns tunes the optimizer for frequently called code (send, deliver).
const OptimizerRuns = 10_000

// ThirdPartyRuns is the optimizer setting of the LayerZero and Hyperlane contracts, as their
// own builds use: with more runs EndpointV2 would outgrow the 24,576-byte code limit.
const ThirdPartyRuns = 200

// Package is one Go package of bindings: which contracts it binds, from which source folder.
type Package struct {
	Name      string // Go package name
	Dir       string // output folder, relative to the contracts folder
	SourceDir string // source folder, relative to the contracts folder
	// From is the prefix of the source names its contracts are taken from (SourceDir's when
	// empty): "@" for npm packages that SourceDir's files import.
	From string
	// Runs is the optimizer setting (OptimizerRuns when 0); packages of one setting are
	// compiled together.
	Runs      int
	Contracts []string
}

// Packages lists the binding packages: production contracts, test doubles kept apart, and
// the LayerZero and Hyperlane contracts (from npm, pinned by package-lock.json) that the
// adapters are tested against.
var Packages = []Package{
	{Name: "bindings", Dir: "bindings", SourceDir: "src", Contracts: []string{"Outbox", "Inbox", "IBatchVerifier", "IsthmusHyperlaneHook", "IsthmusHyperlaneIsm", "IsthmusDVN"}},
	{Name: "testbindings", Dir: "testbindings", SourceDir: "test", Contracts: []string{
		"TestOnlyVerifier", "TestNoopRecipient", "TestRecordingRecipient", "TestGasBurnerRecipient", "TestReentrantRecipient", "ProtocolHarness", "TestOnlyToken",
		"TestOnlyExecutor", "TestOnlyOApp", "TestOnlyDVN",
	}},
	// One Go package per set of contracts whose bindings share no type name (both ULNs
	// return a VersionOutput).
	{Name: "layerzero", Dir: "thirdparty/layerzero", SourceDir: "thirdparty", From: "@", Runs: ThirdPartyRuns, Contracts: []string{
		"EndpointV2", "SendUln302",
	}},
	{Name: "layerzeroreceive", Dir: "thirdparty/layerzeroreceive", SourceDir: "thirdparty", From: "@", Runs: ThirdPartyRuns, Contracts: []string{
		"ReceiveUln302",
	}},
	{Name: "hyperlane", Dir: "thirdparty/hyperlane", SourceDir: "thirdparty", From: "@", Runs: ThirdPartyRuns, Contracts: []string{
		"Mailbox", "MerkleTreeHook", "TestRecipient", "HypERC20", "HypERC20Collateral", "TestIsm", "TestPostDispatchHook",
	}},
}

func (p Package) runs() int {
	if p.Runs == 0 {
		return OptimizerRuns
	}
	return p.Runs
}

// Artifact is a compiled contract as committed under contracts/artifacts.
type Artifact struct {
	ContractName     string          `json:"contractName"`
	SourceName       string          `json:"sourceName"`
	Compiler         string          `json:"compiler"`
	EVMVersion       string          `json:"evmVersion"`
	OptimizerRuns    int             `json:"optimizerRuns"`
	ABI              json.RawMessage `json:"abi"`
	Bytecode         string          `json:"bytecode"`
	DeployedBytecode string          `json:"deployedBytecode"`
}

// Output maps a path relative to the contracts folder to the file content it should have.
type Output map[string][]byte

// Generate compiles every source under contractsDir and returns the artifacts and bindings.
func Generate(contractsDir string) (Output, error) {
	type unit struct {
		compiled map[string]map[string]solc.Contract
		version  string
	}
	units := map[int]*unit{} // by optimizer runs: the packages of one setting compile together
	for _, pkg := range Packages {
		if units[pkg.runs()] != nil {
			continue
		}
		var dirs []string
		for _, p := range Packages {
			if p.runs() == pkg.runs() && !slices.Contains(dirs, p.SourceDir) {
				dirs = append(dirs, p.SourceDir)
			}
		}
		sources, err := readSources(contractsDir, dirs)
		if err != nil {
			return nil, err
		}
		compiled, version, err := solc.Compile(contractsDir, sources, solc.Settings{EVMVersion: EVMVersion, OptimizerRuns: pkg.runs()})
		if err != nil {
			return nil, err
		}
		units[pkg.runs()] = &unit{compiled, version}
	}
	out := Output{}
	for _, pkg := range Packages {
		u := units[pkg.runs()]
		from := pkg.From
		if from == "" {
			from = pkg.SourceDir + "/"
		}
		var types, abis, bins []string
		for _, name := range pkg.Contracts {
			src, c, ok := find(u.compiled, from, name)
			if !ok {
				return nil, fmt.Errorf("contract %s not found under %s", name, from)
			}
			art := Artifact{
				ContractName: name, SourceName: src, Compiler: u.version, EVMVersion: EVMVersion,
				OptimizerRuns: pkg.runs(), ABI: c.ABI,
				Bytecode: "0x" + c.EVM.Bytecode.Object, DeployedBytecode: "0x" + c.EVM.DeployedBytecode.Object,
			}
			data, err := json.MarshalIndent(art, "", "  ")
			if err != nil {
				return nil, fmt.Errorf("encode artifact %s: %w", name, err)
			}
			out[filepath.Join("artifacts", name+".json")] = append(data, '\n')
			types = append(types, name)
			abis = append(abis, string(c.ABI))
			bins = append(bins, c.EVM.Bytecode.Object)
		}
		code, err := abigen.BindV2(types, abis, bins, pkg.Name, map[string]string{}, map[string]string{})
		if err != nil {
			return nil, fmt.Errorf("bind %s: %w", pkg.Name, err)
		}
		header := "// Code generated by `go generate ./contracts` (abigen v2 over contracts/artifacts). DO NOT EDIT.\n\n"
		out[filepath.Join(pkg.Dir, pkg.Name+".go")] = []byte(header + code)
	}
	return out, nil
}

// Write stores out under contractsDir.
func Write(contractsDir string, out Output) error {
	for _, rel := range sortedKeys(out) {
		path := filepath.Join(contractsDir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, out[rel], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Diff names the files under contractsDir whose content differs from out.
func Diff(contractsDir string, out Output) []string {
	var stale []string
	for _, rel := range sortedKeys(out) {
		have, err := os.ReadFile(filepath.Join(contractsDir, rel))
		if err != nil || !bytes.Equal(have, out[rel]) {
			stale = append(stale, rel)
		}
	}
	return stale
}

func readSources(contractsDir string, dirs []string) (map[string]string, error) {
	sources := map[string]string{}
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(contractsDir, dir), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(path, ".sol") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(contractsDir, path)
			if err != nil {
				return err
			}
			sources[filepath.ToSlash(rel)] = string(data)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read sources: %w", err)
		}
	}
	return sources, nil
}

// find looks contract name up among the sources whose name starts with prefix.
func find(compiled map[string]map[string]solc.Contract, prefix, name string) (string, solc.Contract, bool) {
	for src, contracts := range compiled {
		if c, ok := contracts[name]; ok && strings.HasPrefix(src, prefix) {
			return src, c, true
		}
	}
	return "", solc.Contract{}, false
}

func sortedKeys(out Output) []string {
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
