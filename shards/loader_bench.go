package shards

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// LoaderBench is what BenchLoader measures.
type LoaderBench struct {
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

// BenchLoader opens a loader on dir with opt and reads batches batches
// (0: one epoch; a pass without Shuffle ends earlier at its end), timing
// everything from the open. The peak heap is the largest live Go heap
// sampled every 2 ms meanwhile.
func BenchLoader(ctx context.Context, dir string, opt LoaderOptions, batches int64) (*LoaderBench, error) {
	stop := samplePeakHeap()
	defer stop()
	start := time.Now()
	l, err := OpenLoader(dir, opt)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	if batches <= 0 {
		batches = l.EpochBatches()
	}
	res := &LoaderBench{Dir: dir, Split: opt.Split, Batch: opt.BatchSize, Context: l.Manifest().Config.Context, Shuffle: opt.Shuffle,
		GOMAXPROCS: runtime.GOMAXPROCS(0), EpochBatches: l.EpochBatches(), ShuffleBuffer: opt.ShuffleBuffer, PrefetchBuffer: opt.Prefetch}
	for res.Batches < batches {
		b, err := l.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
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

// WriteText writes the result as one line.
func (res *LoaderBench) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%s %s: %d batches of %d×%d in %.3fs (first after %.1f ms): %.1f M tokens/s, %.1f M targets/s, %.0f batches/s, %.1f MB/s, peak heap %.1f MB (GOMAXPROCS %d)\n",
		res.Dir, res.Split, res.Batches, res.Batch, res.Context, res.Seconds, res.FirstBatchMS, res.TokensPerS/1e6, res.TargetsPerS/1e6,
		res.BatchesPerS, res.MBPerS, res.PeakHeapMB, res.GOMAXPROCS)
	return err
}

// samplePeakHeap samples the live heap every 2 ms until the returned stop
// is called, which returns the largest value seen (bytes). Calling stop
// again returns the same peak or a later, larger sample.
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
