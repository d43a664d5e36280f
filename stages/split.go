package stages

import (
	"crypto/sha256"
	"encoding/binary"
)

// InHoldout decides, deterministically, whether a record belongs to the
// held-out share (validation, or tokenizer evaluation): by repository, so
// that forks and copies of one repository stay on one side; a record
// without a repository is decided by its path and content hash.
func InHoldout(r *Record, fraction float64, seed uint64) bool {
	if fraction <= 0 {
		return false
	}
	h := sha256.New()
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	h.Write(s[:])
	if r.Repo != "" {
		h.Write([]byte(r.Repo))
	} else {
		h.Write([]byte(r.Path))
		h.Write(r.Sum[:])
	}
	var sum [32]byte
	h.Sum(sum[:0])
	u := binary.LittleEndian.Uint64(sum[:8])
	return float64(u>>11)/float64(1<<53) < fraction
}
