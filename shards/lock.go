package shards

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// lockName is the lock file of a shard directory being written.
const lockName = ".tct.lock"

// ErrLocked marks a directory that another run is writing.
var ErrLocked = errors.New("directory in use")

// LockDir takes the exclusive lock of an output directory for one run; a
// second run on it fails at once with ErrLocked. The lock dies with the
// process; unlock releases it and removes the lock file.
func LockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockName)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if err := lockFile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w: another run writes there (lock %s held)", dir, ErrLocked, path)
		}
		// The holder before us may have removed the file as we opened it:
		// the lock counts only on the file that still has the name.
		a, err1 := f.Stat()
		b, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(a, b) {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			return func() { os.Remove(path); f.Close() }, nil
		}
		f.Close()
	}
}

// ourFile matches the shard files a run writes.
var ourFile = regexp.MustCompile(`^(train|val|docs)-[0-9]{5}\.parquet$`)

// RemoveStale deletes the shard files in dir that m does not name (left by an
// earlier, larger run), so that the directory holds exactly the set of m.
func RemoveStale(dir string, m *Manifest) error {
	named := map[string]bool{}
	for _, s := range m.Shards {
		named[s.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if ourFile.MatchString(e.Name()) && !named[e.Name()] && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove the stale shard: %w", err)
			}
		}
	}
	return nil
}
