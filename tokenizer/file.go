package tokenizer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

// FileFormat and FileVersion identify a tokenizer file.
const (
	FileFormat  = "tct-tokenizer"
	FileVersion = 1
)

// Meta records how a tokenizer was trained. It holds no timestamps, so the
// same inputs and flags give a byte-identical file.
type Meta struct {
	Inputs    []string `json:"inputs,omitempty"`
	Documents int      `json:"documents"`
	Segments  int      `json:"segments"` // distinct segments counted
	// HoldoutFraction and HoldoutSeed name the repositories kept out of
	// training (stages.InHoldout), so they can be measured apart.
	HoldoutFraction float64 `json:"holdout_fraction"`
	HoldoutSeed     uint64  `json:"holdout_seed"`
	MinFreq         int64   `json:"min_freq"`    // merges stop below this pair count
	LongString      int     `json:"long_string"` // strings longer than this are cut into pieces
	Note            string  `json:"note,omitempty"`
}

type file struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	BaseSize int             `json:"base_size"`
	Layout   Layout          `json:"layout"`
	Meta     Meta            `json:"meta"`
	Schema   json.RawMessage `json:"schema"`
	Dict     *Dictionary     `json:"dictionary,omitempty"`
	Merges   []int32         `json:"merges"` // flat: a0, b0, a1, b1, ...
}

// Marshal writes the tokenizer file (deterministic bytes).
func (t *Tokenizer) Marshal() ([]byte, error) {
	f := file{Format: FileFormat, Version: FileVersion, BaseSize: t.Grammar.Size, Layout: t.Layout,
		Meta: t.Meta, Schema: t.Grammar.schema, Dict: t.Dict}
	f.Merges = make([]int32, 0, 2*len(t.Merges.Pairs))
	for _, p := range t.Merges.Pairs {
		f.Merges = append(f.Merges, p[0], p[1])
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load reads a tokenizer file.
func Load(path string) (*Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse reads tokenizer file bytes.
func Parse(b []byte) (*Tokenizer, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer file: %w", err)
	}
	if f.Format != FileFormat {
		return nil, fmt.Errorf("not a tokenizer file (format %q)", f.Format)
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("tokenizer file version %d; this build reads version %d", f.Version, FileVersion)
	}
	g, err := CompileSchemaDict(f.Schema, f.Dict)
	if err != nil {
		return nil, err
	}
	if g.Size != f.BaseSize {
		return nil, fmt.Errorf("the schema compiles to %d base tokens, the file says %d", g.Size, f.BaseSize)
	}
	if len(f.Merges)%2 != 0 {
		return nil, fmt.Errorf("odd merge list")
	}
	pairs := make([][2]int32, len(f.Merges)/2)
	for i := range pairs {
		pairs[i] = [2]int32{f.Merges[2*i], f.Merges[2*i+1]}
	}
	t, err := New(g, pairs, f.Layout.PositionCount)
	if err != nil {
		return nil, err
	}
	if t.Layout != f.Layout {
		return nil, fmt.Errorf("layout %+v does not match the merges (%+v)", f.Layout, t.Layout)
	}
	t.Meta, t.Dict = f.Meta, f.Dict
	sum := sha256.Sum256(b)
	t.Fingerprint = hex.EncodeToString(sum[:])
	return t, nil
}
