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
	FileFormat = "tct-tokenizer"
	// 4: recall slots (dictionary.recall); 3: lexical states, all tables in
	// one list; 2: merge classes; 1: one table. Versions 1 to 3 still load.
	FileVersion = 4
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
	// SegmentWeight says how segment counts were weighted for training.
	SegmentWeight string `json:"segment_weight,omitempty"`
	// Overlearn is the share of extra merges learned and pruned (PruneTables).
	Overlearn float64 `json:"overlearn,omitempty"`
	Note      string  `json:"note,omitempty"`
}

type file struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Kind     string          `json:"kind,omitempty"` // absent: the schema-aware tokenizer; "bpe": plain BPE
	BaseSize int             `json:"base_size"`
	Layout   Layout          `json:"layout"`
	Meta     Meta            `json:"meta"`
	Schema   json.RawMessage `json:"schema"`
	Dict     *Dictionary     `json:"dictionary,omitempty"`
	// Versions 1 and 2: table 0 (version 3: Tables).
	Merges intList `json:"merges,omitempty"`
	Right  intList `json:"merges_right,omitempty"`
	// Classes lists the grammar nodes of class i+1 (version 2: with its table).
	Classes []fileClass `json:"classes,omitempty"`
	Lex     int         `json:"lex_states,omitempty"` // absent: 1
	Tables  []fileTable `json:"tables,omitempty"`     // version 3: table c·lex+s
}

// fileClass is merge class i+1: its grammar nodes (and, in version 2, its table).
type fileClass struct {
	Nodes []string `json:"nodes"`
	fileTable
}

// fileTable is a merge table: pairs flat (a0, b0, a1, b1, ...) and the
// table of each pair's right part (absent: this table).
type fileTable struct {
	Merges intList `json:"merges,omitempty"`
	Right  intList `json:"merges_right,omitempty"`
	Hidden int     `json:"hidden,omitempty"` // trailing merges that are not content ids
	First  int     `json:"first,omitempty"`  // first merged id (absent: base_size)
}

// intList is a JSON array of integers, read by hand: a tokenizer file holds
// a great many, and encoding/json's reflection is slow on them.
type intList []int32

func (l *intList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*l = nil
		return nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return fmt.Errorf("not an array of integers")
	}
	out := make(intList, 0, bytes.Count(b, []byte{','})+1)
	i, n := 1, len(b)-1
	for {
		for i < n && isSpace(b[i]) {
			i++
		}
		if i == n {
			if len(out) > 0 {
				return fmt.Errorf("array of integers ends with a comma")
			}
			break
		}
		neg := b[i] == '-'
		if neg {
			i++
		}
		start, v := i, int64(0)
		for i < n && b[i] >= '0' && b[i] <= '9' {
			if v = 10*v + int64(b[i]-'0'); v > 1<<31 {
				return fmt.Errorf("integer out of range")
			}
			i++
		}
		if i == start {
			return fmt.Errorf("not an integer at byte %d of an array", i)
		}
		if neg {
			v = -v
		}
		if v > 1<<31-1 || v < -1<<31 {
			return fmt.Errorf("integer out of range")
		}
		out = append(out, int32(v))
		for i < n && isSpace(b[i]) {
			i++
		}
		if i == n {
			break
		}
		if b[i] != ',' {
			return fmt.Errorf("unexpected %q in an array of integers", b[i])
		}
		i++
	}
	*l = out
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func intsOf(r []uint8) intList {
	if r == nil {
		return nil
	}
	out := make(intList, len(r))
	for i, c := range r {
		out[i] = int32(c)
	}
	return out
}

func classesOf(r intList) ([]uint8, error) {
	if r == nil {
		return nil, nil
	}
	out := make([]uint8, len(r))
	for i, c := range r {
		if c < 0 || c >= MaxTables {
			return nil, fmt.Errorf("merge class %d out of range", c)
		}
		out[i] = uint8(c)
	}
	return out, nil
}

func flatPairs(pairs [][2]int32) intList {
	out := make(intList, 0, 2*len(pairs))
	for _, p := range pairs {
		out = append(out, p[0], p[1])
	}
	return out
}

func unflatPairs(flat intList) ([][2]int32, error) {
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("odd merge list")
	}
	pairs := make([][2]int32, len(flat)/2)
	for i := range pairs {
		pairs[i] = [2]int32{flat[2*i], flat[2*i+1]}
	}
	return pairs, nil
}

// Marshal writes the tokenizer file (deterministic bytes).
func (t *Tokenizer) Marshal() ([]byte, error) {
	if t.Text != nil {
		return marshalFile(file{Format: FileFormat, Version: FileVersion, Kind: KindBPE, BaseSize: 256, Layout: t.Layout,
			Meta: t.Meta, Tables: []fileTable{{Merges: flatPairs(t.Text.Pairs)}}})
	}
	f := file{Format: FileFormat, Version: FileVersion, BaseSize: t.Grammar.Size, Layout: t.Layout,
		Meta: t.Meta, Schema: t.Grammar.schema, Dict: t.Dict}
	if lex := t.Grammar.Lex(); lex > 1 {
		f.Lex = lex
	}
	for _, nodes := range t.Classes {
		f.Classes = append(f.Classes, fileClass{Nodes: nodes})
	}
	for _, m := range t.Tables {
		ft := fileTable{Merges: flatPairs(m.Pairs), Right: intsOf(m.Right), Hidden: m.Hidden}
		if m.First != m.Base {
			ft.First = m.First
		}
		f.Tables = append(f.Tables, ft)
	}
	return marshalFile(f)
}

func marshalFile(f file) ([]byte, error) {
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
	if f.Version < 1 || f.Version > FileVersion {
		return nil, fmt.Errorf("tokenizer file version %d; this build reads version %d", f.Version, FileVersion)
	}
	if f.Kind == KindBPE {
		return parseText(f, b)
	}
	if f.Kind != "" {
		return nil, fmt.Errorf("tokenizer kind %q: want %q or none", f.Kind, KindBPE)
	}
	if f.Version < 4 && f.Dict != nil && f.Dict.Recall != 0 {
		return nil, fmt.Errorf("tokenizer file version %d with recall slots", f.Version)
	}
	g, err := CompileSchemaDict(f.Schema, f.Dict)
	if err != nil {
		return nil, err
	}
	if g.Size != f.BaseSize {
		return nil, fmt.Errorf("the schema compiles to %d base tokens, the file says %d", g.Size, f.BaseSize)
	}
	var classes [][]string
	for _, c := range f.Classes {
		classes = append(classes, c.Nodes)
	}
	ft := f.Tables
	if f.Version < 3 {
		if f.Lex > 1 || len(ft) > 0 {
			return nil, fmt.Errorf("tokenizer file version %d with lexical states or a table list", f.Version)
		}
		ft = []fileTable{{Merges: f.Merges, Right: f.Right}}
		for _, c := range f.Classes {
			ft = append(ft, c.fileTable)
		}
	} else if len(f.Merges) > 0 || len(f.Right) > 0 {
		return nil, fmt.Errorf("tokenizer file version %d with merges outside its table list", f.Version)
	}
	var tables []TableSpec
	for i, m := range ft {
		p, err := unflatPairs(m.Merges)
		if err != nil {
			return nil, fmt.Errorf("merge table %d: %w", i, err)
		}
		r, err := classesOf(m.Right)
		if err != nil {
			return nil, fmt.Errorf("merge table %d: %w", i, err)
		}
		tables = append(tables, TableSpec{Pairs: p, Right: r, Hidden: m.Hidden, First: m.First})
	}
	t, err := NewClassed(g, classes, max(f.Lex, 1), tables, f.Layout.PositionCount)
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

// parseText builds a plain BPE tokenizer from its file.
func parseText(f file, b []byte) (*Tokenizer, error) {
	if len(f.Tables) != 1 || f.BaseSize != 256 {
		return nil, fmt.Errorf("a bpe tokenizer file has one merge table over 256 bytes")
	}
	pairs, err := unflatPairs(f.Tables[0].Merges)
	if err != nil {
		return nil, err
	}
	text, err := NewTextBPE(pairs)
	if err != nil {
		return nil, err
	}
	t := NewText(text, f.Layout.PositionCount)
	if t.Layout != f.Layout {
		return nil, fmt.Errorf("layout %+v does not match the merges (%+v)", f.Layout, t.Layout)
	}
	t.Meta = f.Meta
	sum := sha256.Sum256(b)
	t.Fingerprint = hex.EncodeToString(sum[:])
	return t, nil
}

// LoadOr reads the tokenizer file at path, or parses embedded when path is "".
func LoadOr(path string, embedded []byte) (*Tokenizer, error) {
	if path != "" {
		return Load(path)
	}
	t, err := Parse(embedded)
	if err != nil {
		return nil, fmt.Errorf("embedded tokenizer: %w", err)
	}
	return t, nil
}
