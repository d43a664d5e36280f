package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
)

// liveHeap is the live Go heap after a collection, in bytes.
func liveHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}

func newBenchCmd() *cobra.Command {
	bench := &cobra.Command{Use: "bench", Short: "Measure tct's own throughput"}
	cfg := jobs.DefaultConvertConfig()
	var tokPath string
	var asJSON bool
	var passes int
	tok := &cobra.Command{
		Use:   "tokenize INPUT...",
		Short: "Encoding and decoding throughput of the tokenizer, in-process, one core",
		Long: `bench tokenize converts the inputs to canonical JSON first (not timed), then
encodes every document on one goroutine: a warm-up pass, then --passes timed
passes. It reports mb_per_s (of canonical JSON), tokens_per_s and docs_per_s
for encoding, and the same for decoding; first_pass_mb_per_s, the warm-up
pass (a fresh encoder: its cache of long segments is cold, as in a pipeline
that sees each document once); tokenizer_mb, the live heap the
tokenizer adds once loaded and warmed on every document (heap_mb is the whole
process heap, documents included), and load_ms, the time to read the file.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.Inputs, err = stages.ExpandInputs(args); err != nil {
				return err
			}
			docs, err := collectJSON(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if len(docs) == 0 {
				return fmt.Errorf("no documents in the inputs")
			}
			var bytes int64
			for _, d := range docs {
				bytes += int64(len(d))
			}
			// The tokenizer's footprint: the live heap it adds, loaded and
			// with an encoder warmed on every document (tries and cache built).
			before := liveHeap()
			loadStart := time.Now()
			t, err := jobs.LoadTokenizer(tokPath)
			if err != nil {
				return err
			}
			loadMS := time.Since(loadStart).Seconds() * 1000
			enc := t.NewEncoder()
			var warm []int32
			if _, _, err = t.NewEncoder().Encode(nil, docs[0]); err != nil { // builds the tries
				return err
			}
			coldStart := time.Now()
			for _, d := range docs { // warm-up: the first pass, cache cold, as a pipeline sees it
				if warm, _, err = enc.Encode(warm[:0], d); err != nil {
					return err
				}
			}
			coldSecs := time.Since(coldStart).Seconds()
			footprint := liveHeap() - before
			ids := make([][]int32, len(docs))
			for i, d := range docs {
				ids[i], _, _ = enc.Encode(nil, d)
			}
			var ntok int64
			start := time.Now()
			var buf []int32
			for range passes {
				for _, d := range docs {
					buf, _, _ = enc.Encode(buf[:0], d)
					ntok += int64(len(buf))
				}
			}
			encSecs := time.Since(start).Seconds()
			start = time.Now()
			for range passes {
				for _, x := range ids {
					if _, _, err := t.Decode(x); err != nil {
						return err
					}
				}
			}
			decSecs := time.Since(start).Seconds()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			n := float64(passes)
			rep := map[string]any{
				"documents": len(docs), "bytes_json": bytes, "tokens": ntok / int64(passes), "passes": passes,
				"mb_per_s": n * float64(bytes) / 1e6 / encSecs, "tokens_per_s": float64(ntok) / encSecs, "docs_per_s": n * float64(len(docs)) / encSecs,
				"decode_mb_per_s": n * float64(bytes) / 1e6 / decSecs, "decode_tokens_per_s": float64(ntok) / decSecs,
				"heap_mb": float64(ms.HeapInuse) / 1e6, "tokenizer": t.Fingerprint,
				"first_pass_mb_per_s": float64(bytes) / 1e6 / coldSecs,
				"tokenizer_mb":        footprint / 1e6, "load_ms": loadMS, "merge_tables": len(t.Tables),
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "encode: %.1f MB/s, %.0f tokens/s, %.0f docs/s; decode: %.1f MB/s (%d documents, %d passes)\n",
				rep["mb_per_s"], rep["tokens_per_s"], rep["docs_per_s"], rep["decode_mb_per_s"], len(docs), passes)
			return nil
		},
	}
	fs := tok.Flags()
	fs.StringVar(&tokPath, "tokenizer", "", "tokenizer file (default: the embedded one)")
	fs.IntVar(&passes, "passes", 3, "timed passes over the documents")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout")
	addConvertFlags(fs, &cfg)
	bench.AddCommand(tok)
	return bench
}

// collectJSON converts the inputs and keeps the canonical JSON in memory.
func collectJSON(ctx context.Context, cfg jobs.ConvertConfig) ([][]byte, error) {
	p := pipeline.New(ctx)
	recs, ie, err := jobs.Records(p, cfg)
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
