package shards_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

const corpusPath = "../../shared/corpus/workflows.jsonl.zst"

var tmpRoot string

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "tct-loader-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// noLeaks checks, after the test and its cleanups (which close the
// loaders), that no goroutine is left.
func noLeaks(t *testing.T) { t.Cleanup(func() { goleak.VerifyNone(t) }) }

var embeddedTok = sync.OnceValues(func() (*tokenizer.Tokenizer, error) { return tokenizer.Parse(configs.Tokenizer) })

type shardSet struct {
	once sync.Once
	dir  string
	err  error
}

var shardSets sync.Map // name → *shardSet

// buildShards runs the pipeline (the code path of `tct pipeline`) once per
// name and test binary, with small shards and row groups so that there are
// several of each.
func buildShards(t testing.TB, name string, inputs []string, context, rowGroupRows int, shardBytes int64, splitBy string, valFraction float64, pack bool) string {
	t.Helper()
	v, _ := shardSets.LoadOrStore(name, &shardSet{})
	s := v.(*shardSet)
	s.once.Do(func() {
		tok, err := embeddedTok()
		if err != nil {
			s.err = err
			return
		}
		cfg := jobs.PipelineConfig{Convert: jobs.DefaultConvertConfig(), Shards: jobs.DefaultShardConfig(),
			Out: filepath.Join(tmpRoot, name)}
		cfg.Convert.Inputs = inputs
		cfg.Shards.Context, cfg.Shards.RowGroupRows, cfg.Shards.ShardBytes = context, int64(rowGroupRows), shardBytes
		cfg.Shards.SplitBy, cfg.Shards.ValFraction, cfg.Shards.Pack = splitBy, valFraction, pack
		_, s.err = jobs.RunPipeline(t.Context(), cfg, tok, nil)
		s.dir = cfg.Out
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.dir
}

// smallShards: the dump in testdata, context 4, 8 windows per row group
// (one shard per split of several row groups), documents split 60/40, one
// document per window.
func smallShards(t testing.TB) string {
	return buildShards(t, "small", []string{"../testdata/dump", "../testdata/dump.jsonl"}, 4, 8, 1, "doc", 0.4, false)
}

// corpusShards: the shared corpus, context 64, 512 windows per row group,
// ~256 KB shards.
func corpusShards(t testing.TB) string {
	if _, err := os.Stat(corpusPath); err != nil {
		t.Skip("shared corpus not available")
	}
	return buildShards(t, "corpus", []string{corpusPath}, 64, 512, 256<<10, "repo", 0.05, false)
}

// splitRows reads a split's windows in file and row order with parquet-go,
// independently of the loader.
func splitRows(t testing.TB, dir, split string) []shards.WindowRow {
	t.Helper()
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rows []shards.WindowRow
	for _, s := range m.Shards {
		if s.Kind == "windows" && s.Split == split {
			r, err := shards.ReadRows[shards.WindowRow](filepath.Join(dir, s.Name), 0)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r...)
		}
	}
	return rows
}

func open(t testing.TB, dir string, opt shards.LoaderOptions) *shards.Loader {
	t.Helper()
	l, err := shards.OpenLoader(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func next(t testing.TB, l *shards.Loader) *shards.Batch {
	t.Helper()
	b, err := l.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// window rebuilds row r of a batch as the shard row it came from.
func window(b *shards.Batch, r int) []int32 {
	w := make([]int32, b.C+1)
	copy(w, b.Inputs[r*b.C:(r+1)*b.C])
	w[b.C] = b.Targets[(r+1)*b.C-1]
	return w
}

// key identifies a window by its document and ids (FNV-1a).
func key(doc int64, w []int32) uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		for range 8 {
			h = (h ^ (v & 0xff)) * 1099511628211
			v >>= 8
		}
	}
	mix(uint64(doc))
	for _, id := range w {
		mix(uint64(uint32(id)))
	}
	return h
}

// checkBatch checks the invariants of a batch: shapes, targets shifted by
// one, the mask and Tokens, padding rows.
func checkBatch(t testing.TB, b *shards.Batch, batch, context int, pad int32) {
	t.Helper()
	if b.B != batch || b.C != context || len(b.Inputs) != batch*context || len(b.Targets) != batch*context ||
		len(b.Mask) != batch*context || len(b.DocIDs) != batch {
		t.Fatalf("batch shape: B %d C %d inputs %d targets %d mask %d docs %d", b.B, b.C, len(b.Inputs), len(b.Targets), len(b.Mask), len(b.DocIDs))
	}
	tokens := 0
	for r := range b.B {
		in, tg, m := b.Inputs[r*b.C:(r+1)*b.C], b.Targets[r*b.C:(r+1)*b.C], b.Mask[r*b.C:(r+1)*b.C]
		for j := range b.C - 1 {
			if tg[j] != in[j+1] {
				t.Fatalf("row %d: target %d is %d, input %d is %d", r, j, tg[j], j+1, in[j+1])
			}
		}
		if r >= b.Rows {
			if b.DocIDs[r] != -1 || in[0] != pad || tg[b.C-1] != pad {
				t.Fatalf("padding row %d: doc %d, input %d", r, b.DocIDs[r], in[0])
			}
		}
		for j := range b.C {
			real := tg[j] != pad
			if (m[j] == 1) != real || (m[j] != 0 && m[j] != 1) {
				t.Fatalf("row %d: mask %v at target %d (%d)", r, m[j], j, tg[j])
			}
			if real {
				tokens++
			}
		}
	}
	if tokens != b.Tokens {
		t.Fatalf("Tokens %d, mask says %d", b.Tokens, tokens)
	}
}

// Without Shuffle: one pass in file and row order, the last batch padded,
// then io.EOF for good.
func TestLoaderValidationPass(t *testing.T) {
	t.Run("small", func(t *testing.T) { testValidationPass(t, smallShards(t), 7) })
	// Many row groups and shards: the recycled Arrow buffers must not leak
	// one row group's ids into another's.
	t.Run("corpus", func(t *testing.T) { testValidationPass(t, corpusShards(t), 100) })
}

func testValidationPass(t *testing.T, dir string, bs int) {
	noLeaks(t)
	for _, split := range []string{"val", "train"} {
		rows := splitRows(t, dir, split)
		if len(rows) < 20 {
			t.Fatalf("%s: only %d windows; the test wants several batches", split, len(rows))
		}
		l := open(t, dir, shards.LoaderOptions{Split: split, BatchSize: bs})
		pad := int32(l.Manifest().Layout.PAD)
		var got int
		var batches int64
		for {
			b, err := l.Next(t.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			checkBatch(t, b, bs, l.Manifest().Config.Context, pad)
			if b.Epoch != 0 {
				t.Fatalf("epoch %d in a validation pass", b.Epoch)
			}
			for r := range b.Rows {
				want := rows[got]
				if b.DocIDs[r] != want.DocID || !reflect.DeepEqual(window(b, r), want.Tokens) {
					t.Fatalf("%s window %d: doc %d %v, want doc %d %v", split, got, b.DocIDs[r], window(b, r), want.DocID, want.Tokens)
				}
				got++
			}
			if b.Rows < bs && got != len(rows) {
				t.Fatalf("short batch (%d rows) before the end", b.Rows)
			}
			batches++
		}
		if got != len(rows) || batches != l.EpochBatches() || batches != int64((len(rows)+bs-1)/bs) {
			t.Fatalf("%s: %d windows in %d batches, want %d in %d", split, got, batches, len(rows), l.EpochBatches())
		}
		if _, err := l.Next(t.Context()); err != io.EOF {
			t.Fatalf("after the pass: %v, want io.EOF", err)
		}
		if s := l.State(); s.Epoch != 0 || s.Batches != batches {
			t.Fatalf("state after the pass: %+v", s)
		}
		l.Close()
	}
}

// epochWindows reads one epoch and counts its real windows by key.
func epochWindows(t testing.TB, l *shards.Loader, epoch int) (map[uint64]int, []uint64) {
	t.Helper()
	counts := map[uint64]int{}
	var order []uint64
	for range l.EpochBatches() {
		b := next(t, l)
		checkBatch(t, b, b.B, l.Manifest().Config.Context, int32(l.Manifest().Layout.PAD))
		if b.Epoch != epoch {
			t.Fatalf("batch of epoch %d, want %d", b.Epoch, epoch)
		}
		for r := range b.Rows {
			k := key(b.DocIDs[r], window(b, r))
			counts[k]++
			order = append(order, k)
		}
	}
	return counts, order
}

// Every epoch is a permutation of the split, a different one each epoch,
// the same one for the same seed, and ranks partition it.
func TestLoaderEpochsAndRanks(t *testing.T) {
	t.Run("small", func(t *testing.T) { testEpochsAndRanks(t, smallShards(t), 5, 16) })
	t.Run("corpus", func(t *testing.T) { testEpochsAndRanks(t, corpusShards(t), 64, 1024) })
}

func testEpochsAndRanks(t *testing.T, dir string, batch, buffer int) {
	noLeaks(t)
	rows := splitRows(t, dir, "train")
	all := map[uint64]int{}
	var fileOrder []uint64
	for _, r := range rows {
		k := key(r.DocID, r.Tokens)
		all[k]++
		fileOrder = append(fileOrder, k)
	}
	opt := shards.LoaderOptions{Split: "train", BatchSize: batch, Seed: 7, Shuffle: true, ShuffleBuffer: buffer}
	l := open(t, dir, opt)
	context := l.Manifest().Config.Context
	pad := int32(l.Manifest().Layout.PAD)
	var orders [][]uint64
	for e := range 3 {
		c, o := epochWindows(t, l, e)
		if !reflect.DeepEqual(c, all) {
			t.Fatalf("epoch %d is not a permutation of the split (%d windows, want %d)", e, len(o), len(rows))
		}
		if reflect.DeepEqual(o, fileOrder) {
			t.Fatalf("epoch %d is in file order", e)
		}
		for _, p := range orders {
			if reflect.DeepEqual(o, p) {
				t.Fatalf("epoch %d repeats an earlier epoch's order", e)
			}
		}
		orders = append(orders, o)
	}
	same := open(t, dir, opt)
	_, o := epochWindows(t, same, 0)
	if !reflect.DeepEqual(o, orders[0]) {
		t.Fatal("the same seed gave another order")
	}
	opt.Seed = 8
	_, o = epochWindows(t, open(t, dir, opt), 0)
	if reflect.DeepEqual(o, orders[0]) {
		t.Fatal("another seed gave the same order")
	}

	// Ranks: disjoint shares whose union is the split, every epoch, and
	// the same number of batches on every rank.
	for _, world := range []int{2, 3} {
		for e := range 2 {
			union := map[uint64]int{}
			var ls []*shards.Loader
			for rank := range world {
				o := opt
				o.Rank, o.World = rank, world
				ls = append(ls, open(t, dir, o))
			}
			for rank, rl := range ls {
				if rl.EpochBatches() != ls[0].EpochBatches() {
					t.Fatalf("rank %d has %d batches per epoch, rank 0 %d", rank, rl.EpochBatches(), ls[0].EpochBatches())
				}
				for skip := 0; skip < e; skip++ {
					epochWindows(t, rl, skip)
				}
				c, _ := epochWindows(t, rl, e)
				for k, n := range c {
					union[k] += n
				}
			}
			if !reflect.DeepEqual(union, all) {
				t.Fatalf("world %d epoch %d: the ranks' shares do not partition the split", world, e)
			}
		}
	}
	// A padded batch is still a valid batch.
	b := next(t, open(t, dir, shards.LoaderOptions{Split: "train", BatchSize: len(rows) + 3, Shuffle: true}))
	checkBatch(t, b, len(rows)+3, context, pad)
	if b.Rows != len(rows) {
		t.Fatalf("one batch larger than the split holds %d rows, want %d", b.Rows, len(rows))
	}
}

// Restoring a state gives exactly the batches that an uninterrupted run
// gives after it: within an epoch, at and across its boundary, for a rank.
func TestLoaderResume(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	base := shards.LoaderOptions{Split: "train", BatchSize: 4, Seed: 3, Shuffle: true, ShuffleBuffer: 10, Prefetch: 2}
	per := open(t, dir, base).EpochBatches()
	testResume(t, dir, base, []resumeCase{
		{"start", 1, 0, 5},
		{"mid-epoch", 1, 3, 6},
		{"epoch end", 1, per, 3},
		{"across the boundary", 1, per - 2, 5},
		{"second epoch", 1, per + 4, per},
		{"rank 1 of 2", 2, 5, 2 * per},
	})
	t.Run("corpus", func(t *testing.T) {
		dir := corpusShards(t)
		base := shards.LoaderOptions{Split: "train", BatchSize: 64, Seed: 11, Shuffle: true, ShuffleBuffer: 2048}
		per := open(t, dir, base).EpochBatches()
		testResume(t, dir, base, []resumeCase{
			{"mid-epoch", 1, per / 2, 4},
			{"across the boundary, rank 2 of 3", 3, per/3 - 2, 5},
		})
	})
	l := open(t, dir, base)
	for _, bad := range []shards.LoaderState{{Seed: 4}, {Seed: 3, Rank: 1, World: 2}, {Seed: 3, Stream: "0123456789abcdef"}} {
		if err := l.Restore(bad); err == nil {
			t.Errorf("restore %+v: no error", bad)
		}
	}
	// A validation pass resumed at its end is over.
	v := open(t, dir, shards.LoaderOptions{Split: "val", BatchSize: 4})
	if err := v.Restore(shards.LoaderState{Batches: v.EpochBatches()}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Next(t.Context()); err != io.EOF {
		t.Fatalf("restored at the end of the pass: %v, want io.EOF", err)
	}
}

type resumeCase struct {
	name  string
	world int
	n, m  int64
}

// testResume: N+M batches in one loader against N batches, State, a new
// loader, Restore and M batches, compared bit for bit.
func testResume(t *testing.T, dir string, base shards.LoaderOptions, cases []resumeCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := base
			opt.Rank, opt.World = c.world-1, c.world
			ref := open(t, dir, opt)
			var want []*shards.Batch
			for i := range c.n + c.m {
				b := next(t, ref)
				if i >= c.n {
					want = append(want, b)
				}
			}
			a := open(t, dir, opt)
			for range c.n {
				next(t, a)
			}
			js, err := json.Marshal(a.State())
			if err != nil {
				t.Fatal(err)
			}
			a.Close()
			var st shards.LoaderState
			if err := json.Unmarshal(js, &st); err != nil {
				t.Fatal(err)
			}
			b := open(t, dir, opt)
			if err := b.Restore(st); err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				if got := next(t, b); !reflect.DeepEqual(got, w) {
					t.Fatalf("batch %d after the restore (state %s) differs", i, js)
				}
			}
			// Restoring a running loader discards what it had prefetched.
			if err := ref.Restore(st); err != nil {
				t.Fatal(err)
			}
			if got := next(t, ref); !reflect.DeepEqual(got, want[0]) {
				t.Fatal("restore on a running loader: first batch differs")
			}
		})
	}
}

// A cancelled Next returns the context's error and loses nothing; Close
// mid-stream leaves no goroutine behind.
func TestLoaderCancelAndClose(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	opt := shards.LoaderOptions{Split: "train", BatchSize: 3, Seed: 1, Shuffle: true, ShuffleBuffer: 8, Prefetch: 1}
	ref := open(t, dir, opt)
	l := open(t, dir, opt)
	for i := range 20 {
		if i%4 == 1 {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			b, err := l.Next(ctx)
			switch {
			case errors.Is(err, context.Canceled):
			case err != nil:
				t.Fatal(err)
			default:
				// The batch was ready and select took it: it must be the
				// next one all the same.
				if !reflect.DeepEqual(b, next(t, ref)) {
					t.Fatalf("batch %d differs", i)
				}
			}
		}
		if !reflect.DeepEqual(next(t, l), next(t, ref)) {
			t.Fatalf("batch %d differs after a cancelled Next", i)
		}
	}
	ref.Close()
	l.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Next(t.Context()); err == nil {
		t.Fatal("Next after Close: no error")
	}
}

// In the corpus's train split, the shuffled stream has no long runs of one
// document's windows; the file order has.
func TestLoaderShuffleBreaksDocumentRuns(t *testing.T) {
	noLeaks(t)
	dir := corpusShards(t)
	longest := func(shuffle bool) int {
		l := open(t, dir, shards.LoaderOptions{Split: "train", BatchSize: 64, Seed: 1, Shuffle: shuffle})
		defer l.Close()
		run, best := 0, 0
		prev := int64(-2)
		for range 4096 / 64 {
			b := next(t, l)
			for r := range b.Rows {
				if b.DocIDs[r] == prev {
					run++
				} else {
					run = 1
				}
				prev = b.DocIDs[r]
				best = max(best, run)
			}
		}
		return best
	}
	shuffled, ordered := longest(true), longest(false)
	t.Logf("longest run of one document's windows in the first 4096: shuffled %d, file order %d", shuffled, ordered)
	if shuffled >= 3 || ordered < 10 {
		t.Fatalf("longest run of one document: shuffled %d (want < 3), file order %d (want >= 10)", shuffled, ordered)
	}
}

// copyDir copies a shard directory so that a test can damage it.
func copyDir(t testing.TB, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// readAll reads a validation pass to its end.
func readAll(l *shards.Loader) error {
	for {
		if _, err := l.Next(context.Background()); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func wantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not name %q", err, p)
		}
	}
	t.Logf("ok: %v", err)
}

func TestLoaderChecks(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := embeddedTok()
	if err != nil {
		t.Fatal(err)
	}
	lay := tok.Layout
	// The right tokenizer and layout pass.
	l := open(t, dir, shards.LoaderOptions{Split: "val", BatchSize: 8, Tokenizer: tok.Fingerprint, Layout: &lay, Verify: true})
	if err := readAll(l); err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("ab", 32)
	_, err = shards.OpenLoader(dir, shards.LoaderOptions{Split: "val", BatchSize: 8, Tokenizer: other})
	wantErr(t, err, dir, m.Tokenizer, other)
	lay.PAD++
	_, err = shards.OpenLoader(dir, shards.LoaderOptions{Split: "val", BatchSize: 8, Layout: &lay})
	wantErr(t, err, dir, "layout")
	for _, opt := range []shards.LoaderOptions{{Split: "val"}, {Split: "val", BatchSize: 1, Rank: 2, World: 2}} {
		if _, err := shards.OpenLoader(dir, opt); err == nil {
			t.Errorf("options %+v: no error", opt)
		}
	}
	_, err = shards.OpenLoader(dir, shards.LoaderOptions{Split: "nope", BatchSize: 1, Shuffle: true})
	wantErr(t, err, "no nope windows")
	_, err = shards.OpenLoader(dir, shards.LoaderOptions{Split: "nope", BatchSize: 1})
	wantErr(t, err, "no nope windows")

	var shard shards.ShardInfo
	for _, s := range m.Shards {
		if s.Split == "val" && s.Kind == "windows" {
			shard = s
		}
	}
	// A truncated copy of a shard: the size check names it, and so does
	// Verify.
	bad := copyDir(t, dir)
	path := filepath.Join(bad, shard.Name)
	if err := os.Truncate(path, shard.Bytes/2); err != nil {
		t.Fatal(err)
	}
	wantErr(t, readAll(open(t, bad, shards.LoaderOptions{Split: "val", BatchSize: 8})), path, "truncated")
	_, err = shards.OpenLoader(bad, shards.LoaderOptions{Split: "val", BatchSize: 8, Verify: true})
	wantErr(t, err, bad, shard.Name, "truncated")
	// With a manifest that agrees on the size, parquet's own error names
	// the file.
	m2 := *m
	m2.Shards = append([]shards.ShardInfo(nil), m.Shards...)
	for i := range m2.Shards {
		if m2.Shards[i].Name == shard.Name {
			m2.Shards[i].Bytes = shard.Bytes / 2
		}
	}
	if err := shards.WriteJSONAtomic(filepath.Join(bad, shards.ManifestName), &m2); err != nil {
		t.Fatal(err)
	}
	wantErr(t, readAll(open(t, bad, shards.LoaderOptions{Split: "val", BatchSize: 8})), path)

	// Damaged bytes inside the data pages: an error naming the file, not
	// wrong windows.
	bad = copyDir(t, dir)
	path = filepath.Join(bad, shard.Name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 8; i < len(b)/2; i += 7 {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	wantErr(t, readAll(open(t, bad, shards.LoaderOptions{Split: "val", BatchSize: 8})), path)
}

func TestLoaderStats(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	l := open(t, dir, shards.LoaderOptions{Split: "val", BatchSize: 8})
	start := time.Now()
	if err := readAll(l); err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if s.Windows != l.Windows() || s.RowGroups == 0 || s.Bytes == 0 {
		t.Fatalf("stats %+v after one pass over %d windows", s, l.Windows())
	}
	t.Logf("%+v in %v", s, time.Since(start))
}

// Random damage to a shard never crashes the loader: it reads the file
// or returns an error naming it. Verify catches every case.
func TestLoaderDamagedShards(t *testing.T) {
	noLeaks(t)
	dir := smallShards(t)
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, s := range m.Shards {
		if s.Split == "val" && s.Kind == "windows" {
			name = s.Name
		}
	}
	orig, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	bad := copyDir(t, dir)
	path := filepath.Join(bad, name)
	r := rand.New(rand.NewPCG(1, 2))
	failed := 0
	const tries = 400
	for range tries {
		b := slices.Clone(orig)
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		l := open(t, bad, shards.LoaderOptions{Split: "val", BatchSize: 8})
		if err := readAll(l); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name %s", err, path)
			}
			failed++
		}
		l.Close()
		if _, err := shards.OpenLoader(bad, shards.LoaderOptions{Split: "val", BatchSize: 8, Verify: true}); err == nil {
			t.Fatal("Verify accepted a damaged shard")
		}
	}
	// Most damage is an error even without Verify (zstd checksums, page
	// headers, window shapes); the rest lands in bytes parquet does not
	// check (DataPage v2 keeps levels outside the compressed, checksummed
	// part; statistics; unread columns).
	t.Logf("%d of %d damaged copies failed to read without Verify", failed, tries)
	if failed < tries/2 {
		t.Fatalf("only %d of %d damaged copies failed to read", failed, tries)
	}
}
