package shards

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

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

// Merge joins shard directories made with the same tokenizer and config
// (partitions of one dump) into out: shards are renumbered and hard-linked
// (copied across file systems), and one manifest sums the accounting.
func Merge(out string, dirs []string) (*Manifest, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	var m *Manifest
	next := map[string]int{}
	for _, dir := range dirs {
		part, err := ReadManifest(dir)
		if err != nil {
			return nil, err
		}
		if err := part.Verify(dir); err != nil {
			return nil, err
		}
		cfg := part.Config
		cfg.Partition = 0
		if m == nil {
			m = &Manifest{Format: ManifestFormat, Version: ManifestVersion, Complete: true, Tokenizer: part.Tokenizer, Layout: part.Layout,
				Config: cfg, Inputs: part.Inputs, Splits: map[string]*Counts{},
				Accounting: Accounting{RejectedByReason: map[string]int64{}}}
		} else if part.Tokenizer != m.Tokenizer || part.Layout != m.Layout || cfg != m.Config {
			return nil, fmt.Errorf("%s: made with another tokenizer or config than %s", dir, dirs[0])
		}
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
		for _, s := range part.Shards {
			prefix := s.Split
			if s.Kind == "docs" {
				prefix = "docs"
			}
			name := fmt.Sprintf("%s-%05d.parquet", prefix, next[prefix])
			next[prefix]++
			if err := linkOrCopy(filepath.Join(dir, s.Name), filepath.Join(out, name)); err != nil {
				return nil, err
			}
			s.Name = name
			m.Shards = append(m.Shards, s)
		}
	}
	if m == nil {
		return nil, fmt.Errorf("nothing to merge")
	}
	m.Config.Partitions = 0
	return m, WriteJSONAtomic(filepath.Join(out, ManifestName), m)
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
	for _, s := range m.Shards {
		if s.Kind != "windows" || s.Split != split {
			continue
		}
		rows, err := ReadRows[WindowRow](filepath.Join(dir, s.Name), 0)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			t := toks[w.DocID]
			if t == nil {
				t = make([]int32, lengths[w.DocID])
				toks[w.DocID] = t
			}
			copy(t[w.Start:], w.Tokens[1:w.Valid])
		}
	}
	ids := slices.Sorted(maps.Keys(toks))
	out := make([][]int32, len(ids))
	for i, id := range ids {
		out[i] = toks[id]
	}
	return out, nil
}
