package stages

import (
	"context"
	"crypto/sha256"
	"math"
	"sync"

	"github.com/tct-dev/tct/tokenizer"
)

// CountSegments counts the base-token segments of converted documents, each
// token tagged with its merge class, for merge training. Each worker counts
// into its own map; Result merges them, so the counts do not depend on how
// records were spread over workers.
//
// A segment weighs the square root of its count within one repository, so
// merges favour text that recurs across repositories over one repository's
// copies (docs/pipeline-notes.md).
type CountSegments struct {
	Grammar *tokenizer.Grammar
	// Skip leaves a record out of the counts (e.g. a held-out repository).
	Skip func(*Record) bool

	mu     sync.Mutex
	free   []*segCounter
	all    []*segCounter
	Docs   int64
	Errors int64
}

type segCounter struct {
	counts  map[string]int64 // repository hash, segment (class·base + token) → count
	toks    []tokenizer.Token
	bounds  []int32
	classes []uint8
	key     []byte
	docs    int64
}

// SegmentWeightScale is the weight of a segment seen once: weights are
// round(scale·√count), so MinFreq counts in these units too.
const SegmentWeightScale = 4

func (c *CountSegments) Name() string { return "count" }

func (c *CountSegments) Process(_ context.Context, r *Record) error {
	if r.Done() || r.JSON == nil || c.Skip != nil && c.Skip(r) {
		return nil
	}
	c.mu.Lock()
	var w *segCounter
	if n := len(c.free); n > 0 {
		w, c.free = c.free[n-1], c.free[:n-1]
	} else {
		w = &segCounter{counts: map[string]int64{}}
		c.all = append(c.all, w)
	}
	c.mu.Unlock()
	enc, err := c.Grammar.EncodeClassed(tokenizer.Classed{Tokens: w.toks, Bounds: w.bounds, Classes: w.classes}, r.JSON)
	w.toks, w.bounds, w.classes = enc.Tokens, enc.Bounds, enc.Classes
	if err == nil {
		repo := r.Repo
		if repo == "" {
			repo = r.Source()
		}
		h := sha256.Sum256([]byte(repo))
		base := tokenizer.Token(c.Grammar.Size)
		start := 0
		for _, end := range w.bounds {
			w.key = append(w.key[:0], h[:8]...)
			for i, t := range w.toks[start:end] {
				t += tokenizer.Token(w.classes[start+i]) * base
				w.key = append(w.key, byte(t>>8), byte(t))
			}
			w.counts[string(w.key)]++
			start = int(end)
		}
		w.docs++
	}
	c.mu.Lock()
	c.free = append(c.free, w)
	if err != nil {
		c.Errors++
	}
	c.mu.Unlock()
	return nil
}

// Result merges the workers' counts into weighted segments, each token
// spelled class·base + token (tokenizer.TrainClasses).
func (c *CountSegments) Result() (tokenizer.Segments, int64) {
	// The first worker's map takes the others' counts; each is dropped once
	// merged, so the peak is about one full map.
	var all map[string]int64
	var docs int64
	for _, w := range c.all {
		if all == nil {
			all = w.counts
		} else {
			for k, v := range w.counts {
				all[k] += v
			}
		}
		w.counts = nil
		docs += w.docs
	}
	out := tokenizer.Segments{}
	for k, n := range all {
		out[k[8:]] += int64(math.Round(SegmentWeightScale * math.Sqrt(float64(n))))
	}
	return out, docs
}
