package stages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"sync"

	"github.com/tct-dev/tct/tokenizer"
)

// CountSegments counts the base-token segments of converted documents, each
// token tagged with its merge class, for merge training. Each worker counts into its own map;
// Result merges them, so the counts do not depend on how records were
// spread over workers.
//
// A segment's weight is the square root of its count within one
// repository: a script copied into forty workflows of one repository
// weighs like one used by six repositories, so merges favour what recurs
// across repositories (+1 point fewer tokens than o200k on held-out
// repositories, measured against plain counts).
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

// Tokenize encodes each document with the tokenizer (a pool of encoders, so
// any number of workers can run it) and keeps totals; with Verify it decodes
// every document again and counts the round trips that differ. Compare, when
// set, counts another tokenizer's tokens of the canonical JSON and the YAML.
type Tokenize struct {
	Tok     *tokenizer.Tokenizer
	Verify  bool
	Compare func(text string) int
	// Select, when set, limits the counts to the records it accepts.
	Select func(*Record) bool

	pool  sync.Pool
	mu    sync.Mutex
	Total TokenizeTotals
}

// TokenizeTotals are the sums over documents of `tct tokenize`.
type TokenizeTotals struct {
	Documents         int64           `json:"documents"`
	BytesJSON         int64           `json:"bytes_json"`
	BytesYAML         int64           `json:"bytes_yaml"`
	Tokens            int64           `json:"tokens"`
	RoundtripFailures int64           `json:"roundtrip_failures"`
	O200kTokensJSON   int64           `json:"o200k_tokens_json,omitempty"`
	O200kTokensYAML   int64           `json:"o200k_tokens_yaml,omitempty"`
	Schema            tokenizer.Stats `json:"schema"`
	EncodeErrors      int64           `json:"encode_errors"`
}

func (t *Tokenize) Name() string { return "tokenize" }

func (t *Tokenize) Process(_ context.Context, r *Record) error {
	if r.Done() || t.Select != nil && !t.Select(r) {
		return nil
	}
	enc, _ := t.pool.Get().(*tokenizer.Encoder)
	if enc == nil {
		enc = t.Tok.NewEncoder()
	}
	ids, st, err := enc.Encode(nil, r.JSON)
	t.pool.Put(enc)
	if err != nil {
		// Canonical JSON always encodes; this is a bug, not bad input.
		t.mu.Lock()
		t.Total.EncodeErrors++
		t.mu.Unlock()
		return fmt.Errorf("tokenize: %w", err)
	}
	r.Tokens = ids
	failed := false
	if t.Verify {
		out, consumed, err := t.Tok.Decode(ids)
		failed = err != nil || consumed != len(ids) || !bytes.Equal(out, r.JSON)
	}
	var oj, oy int
	if t.Compare != nil {
		oj, oy = t.Compare(string(r.JSON)), t.Compare(string(r.Content))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tt := &t.Total
	tt.Documents++
	tt.BytesJSON += int64(len(r.JSON))
	tt.BytesYAML += int64(len(r.Content))
	tt.Tokens += int64(len(ids))
	tt.Schema.Add(st)
	tt.O200kTokensJSON += int64(oj)
	tt.O200kTokensYAML += int64(oy)
	if failed {
		tt.RoundtripFailures++
	}
	return nil
}
