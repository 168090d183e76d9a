package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed artifacts and bindings are what the pinned compiler and abigen make from the
// committed sources. Regenerate with `go generate ./contracts` (or `make contracts`).
func TestCommittedArtifactsAndBindingsAreFresh(t *testing.T) {
	dir := filepath.Join("..", "..")
	out, err := Generate(dir)
	if err != nil {
		t.Fatalf("%v\n(the pinned solc-js comes from the repository's package.json: run 'make deps')", err)
	}
	if stale := Diff(dir, out); len(stale) > 0 {
		t.Fatalf("stale generated files %v: run 'go generate ./contracts' and commit the result", stale)
	}
	// Nothing generated is left over from a contract that no longer exists.
	subs := []string{"artifacts"}
	for _, p := range Packages {
		subs = append(subs, p.Dir)
	}
	for _, sub := range subs {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasSuffix(e.Name(), ".sol") {
				continue // a package's folder, or the sources that name third-party contracts
			}
			if _, ok := out[filepath.Join(sub, e.Name())]; !ok {
				t.Errorf("%s/%s is not generated from any contract: remove it", sub, e.Name())
			}
		}
	}
}
