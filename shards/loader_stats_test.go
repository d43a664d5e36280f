package shards_test

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/tct-dev/tct/shards"
)

// CollectStats agrees with the manifest and with the shards read
// independently of the loader (parquet-go, file order).
func TestLoaderCollectStats(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	m, st := collect(t, dir)
	if st.Dir != dir || st.Tokenizer != m.Tokenizer || st.Context != m.Config.Context || len(st.Splits) != 2 {
		t.Fatalf("stats %+v, manifest config %+v", st, m.Config)
	}
	hist := make([]int64, m.Layout.Content)
	for _, split := range []string{"train", "val"} {
		s, c := st.Splits[split], m.Splits[split]
		if s == nil || c == nil || s.Windows == 0 {
			t.Fatalf("split %s: stats %+v, manifest %+v", split, s, c)
		}
		if s.Windows != c.Windows || s.Documents != c.Documents || s.ManifestDocs != c.Documents || s.Padding != c.Padding || s.Targets < c.Tokens {
			t.Errorf("split %s: stats %+v, manifest %+v", split, *s, *c)
		}
		w := int64(m.Config.Context + 1)
		if s.IDs != s.Windows*w || s.PaddingFraction != float64(s.Padding)/float64(s.IDs) {
			t.Errorf("split %s: ids %d, padding fraction %v", split, s.IDs, s.PaddingFraction)
		}
		rows := splitRows(t, dir, split)
		docs := map[int64]bool{}
		var targets int64
		for _, r := range rows {
			docs[r.DocID] = true
			targets += int64(r.Valid - 1)
			for _, id := range r.Tokens[1:r.Valid] {
				if id < 0 || int(id) >= len(hist) {
					t.Fatalf("split %s: doc %d: target %d outside the content range", split, r.DocID, id)
				}
				hist[id]++
			}
		}
		if s.Windows != int64(len(rows)) || s.Documents != int64(len(docs)) || s.Targets != targets {
			t.Errorf("split %s: stats %+v; the shards hold %d windows of %d documents, %d targets", split, *s, len(rows), len(docs), targets)
		}
	}
	checkTokenStats(t, st.Tokens, hist, 5)
	var text bytes.Buffer
	if err := st.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"train", "val", "padding", "distinct", "most frequent"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if _, err := shards.CollectStats(t.Context(), t.TempDir(), 5, shards.ReadOptions{}); err == nil {
		t.Fatal("stats of a directory without a manifest: no error")
	}
}

// checkTokenStats compares the token statistics with the histogram hist
// of content ids counted from the shards.
func checkTokenStats(t *testing.T, tk shards.TokenStats, hist []int64, top int) {
	t.Helper()
	var total int64
	var ids []int32
	for id, n := range hist {
		total += n
		if n > 0 {
			ids = append(ids, int32(id))
		}
	}
	// The most frequent first, ties by id.
	slices.SortStableFunc(ids, func(a, b int32) int { return cmp.Compare(hist[b], hist[a]) })
	if tk.Total != total || tk.Distinct != len(ids) || tk.ContentVocab != len(hist) || tk.OutOfRange != 0 || len(tk.Top) != top {
		t.Fatalf("tokens %+v; the shards hold %d targets of %d distinct ids", tk, total, len(ids))
	}
	for i, c := range tk.Top {
		if c.ID != ids[i] || c.Count != hist[ids[i]] || c.Share != float64(c.Count)/float64(total) {
			t.Fatalf("top %d is %+v, want id %d (%d times)", i, c, ids[i], hist[ids[i]])
		}
	}
}

func TestLoaderBench(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	opt := shards.LoaderOptions{Split: "train", BatchSize: 4, Seed: 1, Shuffle: true, Prefetch: 2, ShuffleBuffer: 16}
	res, err := shards.BenchLoader(t.Context(), dir, opt, 0)
	if err != nil {
		t.Fatal(err)
	}
	// One epoch by default: every train window once.
	train := m.Splits["train"].Windows
	if res.Windows != train || res.Batches != res.EpochBatches || res.Batches != (train+3)/4 ||
		res.Tokens != train*int64(m.Config.Context+1) || res.Context != m.Config.Context || res.Batch != 4 ||
		res.ShuffleBuffer != 16 || res.PrefetchBuffer != 2 || !res.Shuffle || res.GOMAXPROCS < 1 {
		t.Errorf("one epoch of %d windows: %+v", train, *res)
	}
	for name, v := range map[string]float64{"tokens/s": res.TokensPerS, "targets/s": res.TargetsPerS, "batches/s": res.BatchesPerS,
		"MB/s": res.MBPerS, "peak heap": res.PeakHeapMB, "first batch": res.FirstBatchMS, "seconds": res.Seconds} {
		if v <= 0 {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	// A validation pass ends at its end, whatever batches says.
	res, err = shards.BenchLoader(t.Context(), dir, shards.LoaderOptions{Split: "val", BatchSize: 4}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Windows != m.Splits["val"].Windows || res.Batches != res.EpochBatches {
		t.Errorf("validation pass: %+v", *res)
	}
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil || !strings.Contains(text.String(), "tokens/s") {
		t.Fatalf("text %q, error %v", text.String(), err)
	}
	t.Log(text.String())
	if _, err := shards.BenchLoader(t.Context(), dir, shards.LoaderOptions{Split: "nope", BatchSize: 4}, 0); err == nil {
		t.Fatal("bench of an unknown split: no error")
	}
}

// collect reads the manifest and the stats of a shard set.
func collect(t *testing.T, dir string) (*shards.Manifest, *shards.DirStats) {
	t.Helper()
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := shards.CollectStats(t.Context(), dir, 5, shards.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}
