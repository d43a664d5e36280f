package shards

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ReadRows reads up to limit rows (0: all) of a shard file.
func ReadRows[T any](path string, limit int) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := parquet.NewGenericReader[T](f)
	defer r.Close()
	n := int(r.NumRows())
	if limit > 0 && limit < n {
		n = limit
	}
	rows := make([]T, n)
	got := 0
	for got < n {
		k, err := r.Read(rows[got:])
		got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return rows[:got], nil
}

// Merge joins the outputs of the partitions 0..N-1 of one run (same N,
// config, tokenizer and inputs, each exactly once) into out: shards are
// renumbered and hard-linked (copied across file systems), the rejects files
// are concatenated in partition order, and one manifest sums the accounting.
func Merge(out string, dirs []string) (*Manifest, error) {
	parts, err := readPartitions(dirs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	for _, p := range parts {
		if a, b := dirInfo(p.dir), dirInfo(out); a != nil && b != nil && os.SameFile(a, b) {
			return nil, fmt.Errorf("--out %s is one of the partitions: merge into a new directory", out)
		}
	}
	unlock, err := LockDir(out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	os.Remove(filepath.Join(out, ManifestName)) // it no longer holds once a shard is replaced
	first := parts[0].m
	m := &Manifest{Format: ManifestFormat, Version: ManifestVersion, Complete: true, Tokenizer: first.Tokenizer, Layout: first.Layout,
		Config: first.Config, Inputs: first.Inputs, Splits: map[string]*Counts{}, Accounting: Accounting{RejectedByReason: map[string]int64{}}}
	m.Config.Partition, m.Config.Partitions = 0, 0
	next := map[string]int{}
	var rejects []string
	for _, p := range parts {
		m.addAccounting(p.m)
		for _, s := range p.m.Shards {
			prefix := s.Split
			if s.Kind == "docs" {
				prefix = "docs"
			}
			name := fmt.Sprintf("%s-%05d.parquet", prefix, next[prefix])
			next[prefix]++
			if err := linkOrCopy(filepath.Join(p.dir, s.Name), filepath.Join(out, name)); err != nil {
				return nil, err
			}
			s.Name = name
			m.Shards = append(m.Shards, s)
		}
		rejects = append(rejects, filepath.Join(p.dir, RejectsName))
	}
	if err := concatFiles(filepath.Join(out, RejectsName), rejects); err != nil {
		return nil, err
	}
	if err := RemoveStale(out, m); err != nil {
		return nil, err
	}
	return m, WriteJSONAtomic(filepath.Join(out, ManifestName), m)
}

func dirInfo(dir string) os.FileInfo {
	fi, _ := os.Stat(dir)
	return fi
}

type partition struct {
	dir string
	m   *Manifest
}

// readPartitions reads and verifies the manifests of dirs and checks that
// they are the partitions 0..N-1 of one run, each once; sorted by partition.
func readPartitions(dirs []string) ([]partition, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	var parts []partition
	for _, dir := range dirs {
		m, err := ReadManifest(dir)
		if err != nil {
			return nil, err
		}
		if err := m.Verify(dir); err != nil {
			return nil, err
		}
		if m.Config.Partitions < 1 {
			return nil, fmt.Errorf("%s: not a partition (made without --partition i/N): nothing to merge it with", dir)
		}
		parts = append(parts, partition{dir, m})
	}
	slices.SortStableFunc(parts, func(a, b partition) int { return a.m.Config.Partition - b.m.Config.Partition })
	first := parts[0]
	n := first.m.Config.Partitions
	for i, p := range parts {
		cfg, want := p.m.Config, first.m.Config
		cfg.Partition, want.Partition = 0, 0
		switch {
		case p.m.Tokenizer != first.m.Tokenizer || p.m.Layout != first.m.Layout:
			return nil, fmt.Errorf("%s: made with another tokenizer than %s", p.dir, first.dir)
		case cfg != want || !slices.Equal(p.m.Inputs, first.m.Inputs):
			return nil, fmt.Errorf("%s: made with another config or other inputs than %s: not partitions of one run", p.dir, first.dir)
		case i > 0 && p.m.Config.Partition == parts[i-1].m.Config.Partition:
			return nil, fmt.Errorf("%s and %s: both partition %d/%d: each partition must be given once", parts[i-1].dir, p.dir, p.m.Config.Partition, n)
		}
	}
	if len(parts) != n {
		var have []string
		for _, p := range parts {
			have = append(have, fmt.Sprint(p.m.Config.Partition))
		}
		return nil, fmt.Errorf("%d of %d partitions given (%s): a merge needs all of 0..%d", len(parts), n, strings.Join(have, ", "), n-1)
	}
	return parts, nil
}

// addAccounting adds the counts of a partition to m.
func (m *Manifest) addAccounting(part *Manifest) {
	m.Read += part.Read
	m.Written += part.Written
	m.Rejected += part.Rejected
	m.Duplicates += part.Duplicates
	for k, v := range part.RejectedByReason {
		m.RejectedByReason[k] += v
	}
	m.InputErrors = append(m.InputErrors, part.InputErrors...)
	for k, c := range part.Splits {
		t := m.Splits[k]
		if t == nil {
			t = &Counts{}
			m.Splits[k] = t
		}
		t.Documents += c.Documents
		t.Windows += c.Windows
		t.Tokens += c.Tokens
		t.BytesJSON += c.BytesJSON
		t.Padding += c.Padding
	}
}

// concatFiles writes the files srcs one after the other into dst, atomically.
func concatFiles(dst string, srcs []string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	for _, src := range srcs {
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		_, err = io.Copy(tmp, in)
		in.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	os.Chmod(tmp.Name(), 0o644)
	return os.Rename(tmp.Name(), dst)
}

func linkOrCopy(src, dst string) error {
	os.Remove(dst)
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	os.Chmod(tmp.Name(), 0o644)
	return os.Rename(tmp.Name(), dst)
}

// ReadDocs reads the docs table of a shard set.
func ReadDocs(dir string, m *Manifest) ([]DocRow, error) {
	var out []DocRow
	for _, s := range m.Shards {
		if s.Kind != "docs" {
			continue
		}
		rows, err := ReadRows[DocRow](filepath.Join(dir, s.Name), 0)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// ReadDocTokens rebuilds the token ids of every document of a split from its
// windows, in document order.
func ReadDocTokens(dir string, m *Manifest, split string) ([][]int32, error) {
	docs, err := ReadDocs(dir, m)
	if err != nil {
		return nil, err
	}
	lengths := map[int64]int32{}
	for _, d := range docs {
		if d.Split == split {
			lengths[d.DocID] = d.Tokens
		}
	}
	toks := map[int64][]int32{}
	put := func(doc int64, start int32, ids []int32) {
		t := toks[doc]
		if t == nil {
			t = make([]int32, lengths[doc])
			toks[doc] = t
		}
		copy(t[min(int(start), len(t)):], ids)
	}
	for _, s := range m.Shards {
		if s.Kind != "windows" || s.Split != split {
			continue
		}
		path := filepath.Join(dir, s.Name)
		if m.Packed(split) {
			rows, err := ReadRows[PackedRow](path, 0)
			if err != nil {
				return nil, err
			}
			for _, w := range rows {
				err := w.EachSegment(func(doc int64, start int32, ids []int32) { put(doc, start, ids[1:]) })
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
			}
			continue
		}
		rows, err := ReadRows[WindowRow](path, 0)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			put(w.DocID, w.Start, w.Tokens[1:w.Valid])
		}
	}
	ids := slices.Sorted(maps.Keys(toks))
	out := make([][]int32, len(ids))
	for i, id := range ids {
		out[i] = toks[id]
	}
	return out, nil
}
