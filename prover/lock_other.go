//go:build !unix

package prover

import "sync"

// folderLocks serialise setups within this process where flock is not available; processes
// sharing a store must then not set up the same circuit at once.
var folderLocks sync.Map

func (s *Store) lockFolder(name, digest string) (func(), error) {
	mu, _ := folderLocks.LoadOrStore(s.Dir+"/"+FolderName(name, digest), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock, nil
}
