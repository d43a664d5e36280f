package jobs

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// TokenizeBench is what `tct bench tokenize` measures: encode and decode
// throughput on one goroutine, the first (cache-cold) pass, the tokenizer's
// footprint and load time.
type TokenizeBench struct {
	Documents        int      `json:"documents"`
	BytesJSON        int64    `json:"bytes_json"`
	Tokens           int64    `json:"tokens"`
	Passes           int      `json:"passes"`
	MBPerS           float64  `json:"mb_per_s"`
	TokensPerS       float64  `json:"tokens_per_s"`
	DocsPerS         float64  `json:"docs_per_s"`
	DecodeMBPerS     float64  `json:"decode_mb_per_s"`
	DecodeTokensPerS float64  `json:"decode_tokens_per_s"`
	HeapMB           float64  `json:"heap_mb"`
	Tokenizer        string   `json:"tokenizer"`
	FirstPassMBPerS  float64  `json:"first_pass_mb_per_s"`
	TokenizerMB      float64  `json:"tokenizer_mb"`
	LoadMS           float64  `json:"load_ms"`
	MergeTables      int      `json:"merge_tables"`
	Vs               *VsBench `json:"vs,omitempty"`
}

// BenchTokenize converts the inputs (not timed), then encodes every document
// on one goroutine: a warm-up pass, then passes timed passes; decoding the same.
func BenchTokenize(ctx context.Context, cfg ConvertConfig, tokPath string, passes int, vs string) (*TokenizeBench, error) {
	if passes < 1 {
		return nil, fmt.Errorf("--passes %d: want at least 1", passes)
	}
	docs, err := CollectJSON(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("no documents in the inputs")
	}
	r := &TokenizeBench{Documents: len(docs), Passes: passes}
	for _, d := range docs {
		r.BytesJSON += int64(len(d))
	}
	// The footprint: the live heap the tokenizer adds, loaded and with an
	// encoder warmed on every document (tries and cache built).
	before := liveHeap()
	loadStart := time.Now()
	t, err := LoadTokenizer(tokPath)
	if err != nil {
		return nil, err
	}
	r.LoadMS = time.Since(loadStart).Seconds() * 1000
	r.Tokenizer, r.MergeTables = t.Fingerprint, len(t.Tables)
	enc := t.NewEncoder()
	if err := r.firstPass(t, enc, docs); err != nil {
		return nil, err
	}
	r.TokenizerMB = (liveHeap() - before) / 1e6
	if err := r.timedPasses(t, enc, docs); err != nil {
		return nil, err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapMB = float64(ms.HeapInuse) / 1e6
	if vs != "" {
		if r.Vs, err = benchVs(vs, t, docs, r.BytesJSON, passes); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// firstPass encodes every document once with a cold cache, as a pipeline sees them.
func (r *TokenizeBench) firstPass(t *tokenizer.Tokenizer, enc *tokenizer.Encoder, docs [][]byte) error {
	if _, _, err := t.NewEncoder().Encode(nil, docs[0]); err != nil { // builds the tries
		return err
	}
	start := time.Now()
	var buf []int32
	var err error
	for _, d := range docs {
		if buf, _, err = enc.Encode(buf[:0], d); err != nil {
			return err
		}
	}
	r.FirstPassMBPerS = float64(r.BytesJSON) / 1e6 / time.Since(start).Seconds()
	return nil
}

// timedPasses times encoding and decoding of every document, r.Passes times.
func (r *TokenizeBench) timedPasses(t *tokenizer.Tokenizer, enc *tokenizer.Encoder, docs [][]byte) error {
	ids := make([][]int32, len(docs))
	for i, d := range docs {
		ids[i], _, _ = enc.Encode(nil, d)
	}
	encoded := timePasses(docs, r.Passes, 1, func() func([]byte) int { return counting(enc) })
	ntok, encSecs := encoded.tokens, encoded.secs
	start := time.Now()
	for range r.Passes {
		for _, x := range ids {
			if _, _, err := t.Decode(x); err != nil {
				return err
			}
		}
	}
	decSecs := time.Since(start).Seconds()
	n := float64(r.Passes)
	r.Tokens = ntok / int64(r.Passes)
	r.MBPerS, r.TokensPerS, r.DocsPerS = n*float64(r.BytesJSON)/1e6/encSecs, float64(ntok)/encSecs, n*float64(len(docs))/encSecs
	r.DecodeMBPerS, r.DecodeTokensPerS = n*float64(r.BytesJSON)/1e6/decSecs, float64(ntok)/decSecs
	return nil
}

// liveHeap is the live Go heap after a collection, in bytes.
func liveHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}

// CollectJSON converts the inputs and keeps the canonical JSON of the
// documents that were not rejected, in input order.
func CollectJSON(ctx context.Context, cfg ConvertConfig) ([][]byte, error) {
	p := pipeline.New(ctx)
	recs, ie, err := Records(p, cfg)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var docs [][]byte
	pipeline.Sink(p, "collect", recs, func(_ context.Context, r *stages.Record) error {
		if !r.Done() {
			mu.Lock()
			docs = append(docs, r.JSON)
			mu.Unlock()
		}
		return nil
	})
	if err := p.Wait(); err != nil {
		return nil, err
	}
	if len(ie.Errs) > 0 {
		return docs, ie.Errs[0]
	}
	return docs, nil
}
