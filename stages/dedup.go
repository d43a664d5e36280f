package stages

import (
	"context"
	"crypto/sha256"
)

// Dedup marks records whose exact content was seen before (sha256). The first
// record in input order wins, so it must run as a single ordered worker. Its
// memory is 16 bytes per distinct content plus the map's overhead.
type Dedup struct {
	seen map[[16]byte]struct{}
}

func NewDedup() *Dedup { return &Dedup{seen: make(map[[16]byte]struct{})} }

func (d *Dedup) Name() string { return "dedup" }

func (d *Dedup) Process(_ context.Context, r *Record) error {
	if r.Done() {
		return nil
	}
	if r.Sum == ([32]byte{}) {
		r.Sum = sha256.Sum256(r.Content)
	}
	var k [16]byte
	copy(k[:], r.Sum[:16]) // 128 bits of sha256: collisions are out of reach
	if _, dup := d.seen[k]; dup {
		r.Duplicate = true
		return nil
	}
	d.seen[k] = struct{}{}
	return nil
}
