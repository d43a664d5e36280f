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

// InPartition decides which of n partitions a record belongs to, by its
// content hash (by its origin when it has no content), and sets r.Sum.
func InPartition(r *Record, i, n int) bool {
	if r.Content != nil {
		if r.Sum == ([32]byte{}) {
			r.Sum = sha256.Sum256(r.Content)
		}
		return binary.BigEndian.Uint64(r.Sum[:8])%uint64(n) == uint64(i)
	}
	h := sha256.Sum256([]byte(r.Source()))
	return binary.BigEndian.Uint64(h[:8])%uint64(n) == uint64(i)
}

// DocID is a document's id in shards: the first 63 bits of its content
// hash, the same in every partition and every run.
func DocID(r *Record) int64 {
	return int64(binary.BigEndian.Uint64(r.Sum[:8]) >> 1)
}
