package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// loaderShards builds the corpus's shards with the default config (context
// 512, 2048 windows per row group) but 1 MB shards, so that an epoch spans
// several files as it would on a real dump. They are kept in the temp dir
// under a name derived from the corpus file and the tokenizer, so repeated
// runs reuse them instead of piling up copies.
var loaderShards = sync.OnceValues(func() (string, error) {
	corpus := filepath.Join("..", "..", "shared", "corpus", "workflows.jsonl.zst")
	if p := os.Getenv("TCT_CORPUS"); p != "" {
		corpus = p
	}
	st, err := os.Stat(corpus)
	if err != nil {
		return "", err
	}
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(corpus)
	// The shard layout is in the key too: shards of an older layout are built again.
	key := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d|%s|%s", abs, st.Size(), st.ModTime().UnixNano(), tok.Fingerprint, shardLayout))
	dir := filepath.Join(os.TempDir(), "tct-bench-loader-"+hex.EncodeToString(key[:6]))
	if m, err := shards.ReadManifest(dir); err == nil && m.Verify(dir) == nil {
		return dir, nil
	}
	cfg := jobs.PipelineConfig{Convert: jobs.DefaultConvertConfig(), Shards: jobs.DefaultShardConfig(), Out: dir}
	cfg.Convert.Inputs = []string{corpus}
	cfg.Shards.ShardBytes = 1 << 20
	if _, err := jobs.RunPipeline(context.Background(), cfg, tok, nil); err != nil {
		return "", err
	}
	return dir, nil
})

// shardLayout names the window layout the cached shards were written in.
const shardLayout = "packed: segment_starts"

func benchShards(b *testing.B) (string, []string, *shards.Manifest) {
	dir, err := loaderShards()
	if err != nil {
		b.Skip("shared corpus not available:", err)
	}
	m, err := shards.ReadManifest(dir)
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	for _, s := range m.Shards {
		if s.Kind == "windows" && s.Split == "train" {
			files = append(files, filepath.Join(dir, s.Name))
		}
	}
	return dir, files, m
}

// oneCore runs the benchmark body with GOMAXPROCS 1: the loader's two
// goroutines and the consumer share one core, as the floor does.
func oneCore(b *testing.B) {
	prev := runtime.GOMAXPROCS(1)
	b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// BenchmarkLoader: one epoch of the corpus's train split per iteration,
// from a cold start (open, read every row group, assemble every batch,
// close), on one core. tokens/s counts the ids of the windows delivered
// (context+1 per window, padding included), as the floor counts them.
func BenchmarkLoader(b *testing.B) {
	dir, files, m := benchShards(b)
	windows := m.Splits["train"].Windows
	ids := windows * int64(m.Config.Context+1)
	b.Logf("%d train windows of %d ids in %d files", windows, m.Config.Context+1, len(files))
	for _, c := range []struct {
		name    string
		shuffle bool
	}{{"shuffled", true}, {"file-order", false}} {
		b.Run(c.name, func(b *testing.B) {
			oneCore(b)
			b.SetBytes(ids * 4)
			for b.Loop() {
				l, err := shards.OpenLoader(dir, shards.LoaderOptions{Split: "train", BatchSize: 32, Seed: 1, Shuffle: c.shuffle})
				if err != nil {
					b.Fatal(err)
				}
				var rows int64
				for range l.EpochBatches() {
					batch, err := l.Next(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					rows += int64(batch.Rows)
				}
				l.Close()
				if rows != windows {
					b.Fatalf("%d windows, want %d", rows, windows)
				}
			}
			b.ReportMetric(float64(ids)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkLoaderFloor: the same files read into raw slices, with nothing
// else done: parquet-go's GenericReader (shards.ReadRows, the floor the
// issue names) and arrow-go's record reader alone (the decoding that the
// loader's own work comes on top of).
func BenchmarkLoaderFloor(b *testing.B) {
	_, files, m := benchShards(b)
	ids := m.Splits["train"].Windows * int64(m.Config.Context+1)
	b.Run("parquet-go", func(b *testing.B) {
		oneCore(b)
		b.SetBytes(ids * 4)
		for b.Loop() {
			var n int64
			for _, f := range files {
				rows, err := shards.ReadRows[shards.WindowRow](f, 0)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range rows {
					n += int64(len(r.Tokens))
				}
			}
			if n != ids {
				b.Fatalf("%d ids, want %d", n, ids)
			}
		}
		b.ReportMetric(float64(ids)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("arrow-records", func(b *testing.B) {
		oneCore(b)
		b.SetBytes(ids * 4)
		for b.Loop() {
			var n int64
			for _, f := range files {
				n += arrowIDs(b, f)
			}
			if n != ids {
				b.Fatalf("%d ids, want %d", n, ids)
			}
		}
		b.ReportMetric(float64(ids)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// arrowIDs reads a shard's tokens, doc_id and valid columns row group by
// row group and counts the token ids.
func arrowIDs(b *testing.B, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		b.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for rg := range pf.NumRowGroups() {
		rr, err := fr.GetRecordReader(context.Background(), []int{0, 1, 3}, []int{rg})
		if err != nil {
			b.Fatal(err)
		}
		for rr.Next() {
			n += int64(rr.RecordBatch().Column(0).(*array.List).ListValues().Len())
		}
		if err := rr.Err(); err != nil && err != io.EOF {
			b.Fatal(err)
		}
		rr.Release()
	}
	return n
}
