package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tct-dev/tct/shards"
)

// splitStats are the windows of one split as the loader delivers them.
type splitStats struct {
	Windows         int64   `json:"windows"`
	Documents       int64   `json:"documents"`          // distinct doc ids among the windows
	ManifestDocs    int64   `json:"manifest_documents"` // what the manifest counts
	IDs             int64   `json:"ids"`                // windows × (context+1)
	Targets         int64   `json:"targets"`            // real (unmasked) targets
	Padding         int64   `json:"padding"`            // PAD ids
	PaddingFraction float64 `json:"padding_fraction"`
}

type tokenCount struct {
	ID    int32   `json:"id"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

type tokenStats struct {
	Total        int64        `json:"total"`         // content ids counted (the real targets)
	Distinct     int          `json:"distinct"`      // distinct content ids seen
	ContentVocab int          `json:"content_vocab"` // size of the content range
	OutOfRange   int64        `json:"out_of_range"`  // targets that are not content ids (should be 0)
	Top          []tokenCount `json:"top"`
}

type shardsStats struct {
	Dir       string                 `json:"dir"`
	Tokenizer string                 `json:"tokenizer"`
	Context   int                    `json:"context"`
	Splits    map[string]*splitStats `json:"splits"`
	Tokens    tokenStats             `json:"tokens"`
	Seconds   float64                `json:"seconds"`
}

func newShardsStatsCmd() *cobra.Command {
	var asJSON bool
	var top int
	cmd := &cobra.Command{
		Use:   "stats DIR",
		Short: "Windows, documents and padding per split, and the token histogram, read through the loader",
		Long: `stats reads every window of every split through the training loader (file
order) and reports, per split, the windows, the distinct documents, the
real targets and the share of padding; and over all splits, the histogram
of content ids: how many distinct ids occur and the most frequent ones.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := collectShardsStats(cmd.Context(), args[0], top)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			printShardsStats(cmd.OutOrStdout(), st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the statistics as JSON")
	cmd.Flags().IntVar(&top, "top", 20, "number of most frequent ids to list")
	return cmd
}

func collectShardsStats(ctx context.Context, dir string, top int) (*shardsStats, error) {
	start := time.Now()
	m, err := shards.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	lay := m.Layout
	st := &shardsStats{Dir: dir, Tokenizer: m.Tokenizer, Context: m.Config.Context, Splits: map[string]*splitStats{}}
	hist := make([]int64, lay.Content)
	var splits []string
	for _, s := range m.Shards {
		if s.Kind == "windows" && !slices.Contains(splits, s.Split) {
			splits = append(splits, s.Split)
		}
	}
	for _, split := range splits {
		ss := &splitStats{}
		if c := m.Splits[split]; c != nil {
			ss.ManifestDocs = c.Documents
		}
		l, err := shards.OpenLoader(dir, shards.LoaderOptions{Split: split, BatchSize: 256})
		if err != nil {
			return nil, err
		}
		docs := map[int64]struct{}{}
		for {
			b, err := l.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				l.Close()
				return nil, err
			}
			for r := range b.Rows {
				docs[b.DocIDs[r]] = struct{}{}
				row := b.Targets[r*b.C : (r+1)*b.C]
				mask := b.Mask[r*b.C : (r+1)*b.C]
				for j, id := range row {
					if mask[j] == 0 {
						break // the mask is a prefix: padding follows
					}
					if id >= 0 && int(id) < len(hist) {
						hist[id]++
					} else {
						st.Tokens.OutOfRange++
					}
				}
			}
			ss.Windows += int64(b.Rows)
			ss.Targets += int64(b.Tokens)
		}
		l.Close()
		ss.Documents = int64(len(docs))
		ss.IDs = ss.Windows * int64(m.Config.Context+1)
		ss.Padding = ss.Windows*int64(m.Config.Context) - ss.Targets // every id after the position token that is no target
		if ss.IDs > 0 {
			ss.PaddingFraction = float64(ss.Padding) / float64(ss.IDs)
		}
		st.Splits[split] = ss
	}
	var order []int32
	for id, n := range hist {
		st.Tokens.Total += n
		if n > 0 {
			st.Tokens.Distinct++
			order = append(order, int32(id))
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return hist[order[i]] > hist[order[j]] })
	for _, id := range order[:min(top, len(order))] {
		st.Tokens.Top = append(st.Tokens.Top, tokenCount{ID: id, Count: hist[id], Share: float64(hist[id]) / float64(st.Tokens.Total)})
	}
	st.Tokens.ContentVocab = lay.Content
	st.Seconds = time.Since(start).Seconds()
	return st, nil
}

func printShardsStats(w io.Writer, st *shardsStats) {
	fmt.Fprintf(w, "%s: context %d, tokenizer %.16s…\n", st.Dir, st.Context, st.Tokenizer)
	names := make([]string, 0, len(st.Splits))
	for k := range st.Splits {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%-6s %10s %10s %12s %9s\n", "split", "windows", "documents", "targets", "padding")
	for _, k := range names {
		s := st.Splits[k]
		fmt.Fprintf(w, "%-6s %10d %10d %12d %8.1f%%\n", k, s.Windows, s.Documents, s.Targets, 100*s.PaddingFraction)
	}
	t := st.Tokens
	fmt.Fprintf(w, "content ids: %d targets, %d distinct of %d (%.1f%%)", t.Total, t.Distinct, t.ContentVocab, 100*float64(t.Distinct)/float64(max(t.ContentVocab, 1)))
	if t.OutOfRange > 0 {
		fmt.Fprintf(w, ", %d out of the content range", t.OutOfRange)
	}
	fmt.Fprintln(w)
	if len(t.Top) > 0 {
		fmt.Fprintln(w, "most frequent:")
		for _, c := range t.Top {
			fmt.Fprintf(w, "  %5d %10d %6.2f%%\n", c.ID, c.Count, 100*c.Share)
		}
	}
}

// loaderBench is the result of `tct shards bench`.
type loaderBench struct {
	Dir            string  `json:"dir"`
	Split          string  `json:"split"`
	Batch          int     `json:"batch"`
	Context        int     `json:"context"`
	Shuffle        bool    `json:"shuffle"`
	Batches        int64   `json:"batches"`
	Windows        int64   `json:"windows"`        // real rows delivered
	Tokens         int64   `json:"tokens"`         // window ids delivered: windows × (context+1)
	Targets        int64   `json:"targets"`        // unmasked targets delivered
	BytesRead      int64   `json:"bytes_read"`     // compressed bytes of the row groups decoded
	FirstBatchMS   float64 `json:"first_batch_ms"` // cold start: open to the first batch
	Seconds        float64 `json:"seconds"`
	TokensPerS     float64 `json:"tokens_per_s"`
	TargetsPerS    float64 `json:"targets_per_s"`
	BatchesPerS    float64 `json:"batches_per_s"`
	MBPerS         float64 `json:"mb_per_s"` // compressed shard bytes per second
	PeakHeapMB     float64 `json:"peak_heap_mb"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	EpochBatches   int64   `json:"epoch_batches"`
	ShuffleBuffer  int     `json:"shuffle_buffer"`
	PrefetchBuffer int     `json:"prefetch"`
}

func newShardsBenchCmd() *cobra.Command {
	opt := shards.LoaderOptions{Split: "train", BatchSize: 32, Seed: 1, Shuffle: true, Prefetch: 4, ShuffleBuffer: 8192}
	var batches int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench DIR",
		Short: "Measure the training loader's throughput from a cold start",
		Long: `bench opens the loader on DIR and reads --batches batches (default: one
epoch, or the whole pass without --shuffle), timing everything from the
open: reading the row groups, shuffling, assembling the batches. tokens
counts the ids of the windows delivered (context+1 each, padding included),
targets the real ones; mb_per_s is compressed shard bytes read per second;
peak_heap_mb is the largest live Go heap seen (sampled every few ms).`,
		Example: `  tct shards bench out/shards --json
  GOMAXPROCS=1 tct shards bench out/shards --batch 64 --batches 1000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := benchLoader(cmd.Context(), args[0], opt, batches)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %d batches of %d×%d in %.3fs (first after %.1f ms): %.1f M tokens/s, %.1f M targets/s, %.0f batches/s, %.1f MB/s, peak heap %.1f MB (GOMAXPROCS %d)\n",
				res.Dir, res.Split, res.Batches, res.Batch, res.Context, res.Seconds, res.FirstBatchMS, res.TokensPerS/1e6, res.TargetsPerS/1e6,
				res.BatchesPerS, res.MBPerS, res.PeakHeapMB, res.GOMAXPROCS)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opt.Split, "split", opt.Split, "split to read")
	fs.IntVar(&opt.BatchSize, "batch", opt.BatchSize, "windows per batch")
	fs.Int64Var(&batches, "batches", 0, "batches to read (default: one epoch)")
	fs.BoolVar(&opt.Shuffle, "shuffle", opt.Shuffle, "shuffle as in training (false: one pass in file order)")
	fs.Uint64Var(&opt.Seed, "seed", opt.Seed, "shuffle seed")
	fs.IntVar(&opt.Prefetch, "prefetch", opt.Prefetch, "batches prepared ahead")
	fs.IntVar(&opt.ShuffleBuffer, "shuffle-buffer", opt.ShuffleBuffer, "windows in the shuffle buffer")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func benchLoader(ctx context.Context, dir string, opt shards.LoaderOptions, batches int64) (*loaderBench, error) {
	stop := samplePeakHeap()
	start := time.Now()
	l, err := shards.OpenLoader(dir, opt)
	if err != nil {
		stop()
		return nil, err
	}
	defer l.Close()
	if batches <= 0 {
		batches = l.EpochBatches()
	}
	res := &loaderBench{Dir: dir, Split: opt.Split, Batch: opt.BatchSize, Context: l.Manifest().Config.Context, Shuffle: opt.Shuffle,
		GOMAXPROCS: runtime.GOMAXPROCS(0), EpochBatches: l.EpochBatches(), ShuffleBuffer: opt.ShuffleBuffer, PrefetchBuffer: opt.Prefetch}
	for res.Batches < batches {
		b, err := l.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stop()
			return nil, err
		}
		if res.Batches == 0 {
			res.FirstBatchMS = float64(time.Since(start).Microseconds()) / 1e3
		}
		res.Batches++
		res.Windows += int64(b.Rows)
		res.Targets += int64(b.Tokens)
	}
	elapsed := time.Since(start).Seconds()
	res.PeakHeapMB = float64(stop()) / 1e6
	res.Tokens = res.Windows * int64(res.Context+1)
	res.BytesRead = l.Stats().Bytes
	res.Seconds = elapsed
	if elapsed > 0 {
		res.TokensPerS = float64(res.Tokens) / elapsed
		res.TargetsPerS = float64(res.Targets) / elapsed
		res.BatchesPerS = float64(res.Batches) / elapsed
		res.MBPerS = float64(res.BytesRead) / 1e6 / elapsed
	}
	return res, nil
}

// samplePeakHeap samples the live heap every 2 ms until the returned stop
// is called, which returns the largest value seen (bytes).
func samplePeakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	var peak uint64 // written by the sampler, read after it ends
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	var once sync.Once
	return func() uint64 {
		once.Do(func() { close(done); wg.Wait() })
		return max(peak, read())
	}
}
