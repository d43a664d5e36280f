package tokenizer

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sync"
)

// The allowed ids depend only on the machine's state, and constrained
// generation meets the same states again and again (every byte of a string
// has the state of the string; siblings share theirs). maskCache keeps the
// masks of recent states by a signature of everything Allowed and Advance
// read: the whole stack, strictness and the lexical state.
type maskCache struct {
	once  sync.Once
	mu    sync.Mutex
	seed  maphash.Seed
	masks map[uint64]Mask
	order []uint64 // insertion order, for eviction
}

// maxMasks bounds the cache (a mask of 8,192 ids is 1 KiB).
const maxMasks = 1 << 14

// seedOf is the cache's hash seed (made on first use).
func (c *maskCache) seedOf() maphash.Seed {
	c.once.Do(func() { c.seed = maphash.MakeSeed() })
	return c.seed
}

func (c *maskCache) get(sig uint64) (Mask, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.masks[sig]
	return b, ok
}

func (c *maskCache) put(sig uint64, b Mask) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.masks == nil {
		c.masks = make(map[uint64]Mask, 1024)
	}
	if len(c.order) >= maxMasks {
		delete(c.masks, c.order[0])
		c.order = c.order[1:]
	}
	c.masks[sig] = b
	c.order = append(c.order, sig)
}

// signature hashes the machine's state; ok is false for a state the cache
// cannot key (recall: the lists of the document so far decide the mask).
func (m *Machine) signature(seed maphash.Seed) (sig uint64, ok bool) {
	if m.g.recall > 0 || m.text != nil {
		return 0, false
	}
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [8]byte
	word := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	word(uint64(m.prev))
	if m.strict {
		word(1)
	}
	for i := range m.stack {
		m.stack[i].sign(word, &h)
	}
	return h.Sum64(), true
}

// sign writes what a frame contributes to the state: its kind and node, the
// count as far as a rule reads it, and the progress of keys, numbers, UTF-8
// and pattern matches. A field added to frame that Allowed or Advance reads
// must be written here too.
func (f *frame) sign(word func(uint64), h *maphash.Hash) {
	count := min(f.count, 4) // minimums read it; a larger count is the same state
	if f.kind == fArray && f.node.minItems > 4 {
		count = min(f.count, f.node.minItems)
	}
	word(uint64(f.kind) | uint64(f.node.id)<<8 | uint64(count)<<40 | uint64(f.num)<<48 | uint64(f.u8need)<<56)
	word(uint64(f.u8lo) | uint64(f.u8hi)<<8 | f.alts<<16)
	if f.fallback {
		word(1)
	}
	word(uint64(len(f.used)) | uint64(len(f.key))<<16 | uint64(len(f.nfa))<<32 | uint64(len(f.unknown))<<48)
	for _, u := range f.used {
		word(u)
	}
	for _, s := range f.nfa { // a patterned string: where its match stands
		word(uint64(s))
	}
	h.Write(f.key)
	if len(f.unknown) > 0 {
		keys := make([]string, 0, len(f.unknown))
		for k := range f.unknown {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			h.WriteString(k)
			h.WriteByte(0)
		}
	}
}
