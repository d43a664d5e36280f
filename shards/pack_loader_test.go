package shards_test

import (
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tct-dev/tct/shards"
)

// packedShards: the dump in testdata, context 16, train windows packed.
func packedShards(t testing.TB) string {
	return buildShards(t, "small-packed", []string{"../testdata/dump", "../testdata/dump.jsonl"}, 16, 8, 1, "doc", 0.4, true)
}

// The loader reads packed windows as they are on disk: inputs, segment ids,
// the mask of learned targets; over a pass every content token of the split
// is a learned target exactly once, shuffled or not.
func TestLoaderPacked(t *testing.T) {
	noLeaks(t)
	dir := packedShards(t)
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Config.Pack || !m.Packed("train") || m.Packed("val") {
		t.Fatalf("manifest: pack %t, packed train %t val %t", m.Config.Pack, m.Packed("train"), m.Packed("val"))
	}
	var rows []shards.PackedRow
	for _, s := range m.Shards {
		if s.Kind == "windows" && s.Split == "train" {
			r, err := shards.ReadRows[shards.PackedRow](filepath.Join(dir, s.Name), 0)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r...)
		}
	}
	train := m.Splits["train"]
	if int64(len(rows)) != train.Windows || train.Fill() < 0.9 {
		t.Fatalf("%d rows, the manifest says %d windows, fill %.3f", len(rows), train.Windows, train.Fill())
	}
	const batch, c = 3, 16
	l := open(t, dir, shards.LoaderOptions{Split: "train", BatchSize: batch})
	k, targets := 0, 0
	for {
		b, err := l.Next(t.Context())
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		targets += b.Tokens
		for r := range b.Rows {
			w := rows[k]
			k++
			mask := make([]float32, c)
			shards.TargetMask(w.Segments(), mask)
			if !slices.Equal(b.Inputs[r*c:(r+1)*c], w.Tokens[:c]) || !slices.Equal(b.Segments[r*c:(r+1)*c], w.Segments()[:c]) ||
				!slices.Equal(b.Mask[r*c:(r+1)*c], mask) || b.DocIDs[r] != w.DocID {
				t.Fatalf("window %d: batch row %d differs from the shard row", k-1, r)
			}
		}
	}
	if k != len(rows) || int64(targets) != train.Tokens {
		t.Fatalf("read %d windows with %d targets, the split has %d windows and %d tokens", k, targets, len(rows), train.Tokens)
	}

	// Shuffled: the same targets in another order.
	sh := open(t, dir, shards.LoaderOptions{Split: "train", BatchSize: batch, Shuffle: true, ShuffleBuffer: 5, Seed: 3})
	targets = 0
	for range sh.EpochBatches() {
		b := next(t, sh)
		targets += b.Tokens
		for i, s := range b.Segments {
			if j := i % c; s != 0 && (j == 0 || b.Segments[i-1] != s) && !isPosition(m, b.Inputs[i]) {
				t.Fatalf("row %d slot %d: segment %d starts with id %d, not a position token", i/c, j, s, b.Inputs[i])
			}
		}
	}
	if int64(targets) != train.Tokens {
		t.Fatalf("shuffled epoch: %d targets, the split has %d tokens", targets, train.Tokens)
	}

	// Validation windows hold one document each: no segment ids.
	v := open(t, dir, shards.LoaderOptions{Split: "val", BatchSize: batch})
	if b := next(t, v); b.Segments != nil {
		t.Fatal("val batch with segment ids")
	}
}

func isPosition(m *shards.Manifest, id int32) bool {
	return int(id) >= m.Layout.PositionBase && int(id) < m.Layout.PositionBase+m.Layout.PositionCount
}

// A manifest that says pack over windows without segment ids is refused,
// naming the shard.
func TestLoaderPackedWithoutSegments(t *testing.T) {
	noLeaks(t)
	dir := copyDir(t, smallShards(t))
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Config.Pack = true
	if err := shards.WriteJSONAtomic(filepath.Join(dir, shards.ManifestName), m); err != nil {
		t.Fatal(err)
	}
	wantErr(t, readAll(open(t, dir, shards.LoaderOptions{Split: "train", BatchSize: 4})), dir, "train-00000", `no column "segment_starts"`)
}

// The documents rebuilt from packed windows are those rebuilt from
// windows of one document each.
func TestReadDocTokensPacked(t *testing.T) {
	packed, unpacked := packedShards(t), smallShards(t)
	for _, split := range []string{"train", "val"} {
		var got [2][][]int32
		for i, dir := range []string{packed, unpacked} {
			m, err := shards.ReadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got[i], err = shards.ReadDocTokens(dir, m, split); err != nil {
				t.Fatal(err)
			}
		}
		if len(got[0]) == 0 || !slices.EqualFunc(got[0], got[1], slices.Equal) {
			t.Errorf("%s: %d documents packed, %d unpacked, or they differ", split, len(got[0]), len(got[1]))
		}
	}
}

// Stats of a packed split: every token a target, the manifest's documents
// and padding.
func TestCollectStatsPacked(t *testing.T) {
	noLeaks(t)
	dir := packedShards(t)
	m, st := collect(t, dir)
	got, want := st.Splits["train"], m.Splits["train"]
	if got.Targets != want.Tokens || got.Documents != want.Documents || got.Padding != want.Padding || got.Windows != want.Windows {
		t.Errorf("stats %+v, manifest %+v", got, want)
	}
}

// Packed batches resume bit for bit (segment ids included), and the ranks'
// shares of an epoch learn every token of the split once.
func TestLoaderPackedResumeAndRanks(t *testing.T) {
	noLeaks(t)
	dir := packedShards(t)
	base := shards.LoaderOptions{Split: "train", BatchSize: 2, Seed: 5, Shuffle: true, ShuffleBuffer: 6, Prefetch: 2}
	per := open(t, dir, base).EpochBatches()
	testResume(t, dir, base, []resumeCase{{"mid-epoch", 1, 2, 3}, {"across the boundary, rank 2 of 2", 2, per - 1, 3}})
	m, err := shards.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	targets := 0
	for rank := range 3 {
		opt := base
		opt.Rank, opt.World = rank, 3
		l := open(t, dir, opt)
		for range l.EpochBatches() {
			targets += next(t, l).Tokens
		}
	}
	if int64(targets) != m.Splits["train"].Tokens {
		t.Fatalf("3 ranks learned %d targets in an epoch, the split has %d tokens", targets, m.Splits["train"].Tokens)
	}
}
