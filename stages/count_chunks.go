package stages

import (
	"context"
	"sync"

	"github.com/tct-dev/tct/tokenizer"
)

// CountChunks counts the pre-split chunks of the canonical JSON text of
// converted documents, for training a plain byte-level BPE.
type CountChunks struct {
	// Skip leaves a record out of the counts (e.g. a held-out repository).
	Skip func(*Record) bool

	mu     sync.Mutex
	counts map[string]int64
	Docs   int64
}

func (c *CountChunks) Name() string { return "count" }

func (c *CountChunks) Process(_ context.Context, r *Record) error {
	if r.Done() || r.JSON == nil || c.Skip != nil && c.Skip(r) {
		return nil
	}
	local := map[string]int64{}
	tokenizer.Presplit(r.JSON, func(chunk []byte) { local[string(chunk)]++ })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int64{}
	}
	for k, n := range local {
		c.counts[k] += n
	}
	c.Docs++
	return nil
}

// Result is the chunk counts of every document processed.
func (c *CountChunks) Result() map[string]int64 { return c.counts }
