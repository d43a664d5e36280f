package shards

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// The PRNG streams drawn from (seed, epoch).
const (
	streamShards = 1 + iota
	streamRowGroups
	streamWindows
)

// rng is SplitMix64 with our own bounded draws and shuffle, rather than
// math/rand: the stream is then fixed by this file alone, so a checkpoint
// resumes the same order after any Go upgrade.
type rng struct{ s uint64 }

func newRNG(seed uint64, epoch int, stream, sub uint64) *rng {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(epoch))
	binary.LittleEndian.PutUint64(b[16:], stream)
	binary.LittleEndian.PutUint64(b[24:], sub)
	h := sha256.Sum256(b[:]) // independent streams for neighbouring seeds and epochs
	return &rng{s: binary.LittleEndian.Uint64(h[:8])}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn is uniform in [0, n) (Lemire's multiply-shift, with rejection).
func (r *rng) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.next(), un)
	if lo < un {
		for t := -un % un; lo < t; {
			hi, lo = bits.Mul64(r.next(), un)
		}
	}
	return int(hi)
}

// shuffle permutes s (Fisher–Yates).
func (r *rng) shuffle(s []int) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}
