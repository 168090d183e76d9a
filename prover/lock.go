package prover

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// lockFolder takes the store's lock of one circuit's keys (name and digest), waiting while
// another process or goroutine holds it: an exclusive file lock (gofrs/flock: flock on Unix,
// LockFileEx on Windows) on a file in the key folder (a folder without a manifest is an
// unfinished setup to the store's readers). Two setups of the same circuit into one store
// would otherwise each keep their own keys in memory while the later overwrote the earlier's
// files. It returns the unlock function.
func (s *Store) lockFolder(name, digest string) (func(), error) {
	dir := s.folder(name, digest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	l := flock.New(path)
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("key store lock %s: %w", path, err)
	}
	return func() { l.Unlock() }, nil //nolint:errcheck // closing the file releases it too
}
