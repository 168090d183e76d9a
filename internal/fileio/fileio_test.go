package fileio

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteJSONReplacesWholeAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, v := range []map[string]int{{"a": 1}, {"b": 2}} {
		if err := WriteJSON(path, v); err != nil {
			t.Fatal(err)
		}
		var back map[string]int
		data, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(data, &back) != nil || len(back) != 1 {
			t.Fatalf("read back %q: %v", data, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files left, want 1", len(entries))
	}
	if err := WriteJSON(filepath.Join(dir, "missing", "f.json"), 1); err == nil {
		t.Fatal("wrote into a missing folder")
	}
}
