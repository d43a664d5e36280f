package shards

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tct-dev/tct/internal/atomicfile"
	"github.com/tct-dev/tct/tokenizer"
)

// ManifestFormat identifies a shard directory's manifest.
const (
	ManifestFormat  = "tct-shards"
	ManifestVersion = 1
	ManifestName    = "manifest.json"
	RejectsName     = "rejects.jsonl" // the rejected records of a run, one JSON object a line
	journalName     = ".journal.json"
)

// Config is what shapes the shards; a resumed or merged run must match it.
type Config struct {
	Context      int     `json:"context"`
	Stride       int     `json:"stride"`
	SplitBy      string  `json:"split_by"` // "repo" or "doc"
	ValFraction  float64 `json:"val_fraction"`
	Seed         uint64  `json:"seed"`
	ShardBytes   int64   `json:"shard_bytes"`
	RowGroupRows int64   `json:"row_group_rows"`
	// Pack fills the train windows with documents back to back (PackedRow
	// shards); validation windows always hold one document each.
	Pack bool `json:"pack"`
}

// Source records how the documents were chosen from the dump (the settings
// of the stages before tokenizing); shards only store and compare it.
type Source struct {
	Partition    int    `json:"partition"`
	Partitions   int    `json:"partitions"`
	PathPattern  string `json:"path_pattern"`
	MaxSize      int64  `json:"max_size"`
	ContentField string `json:"content_field,omitempty"`
	RepoDepth    int    `json:"repo_depth"`
}

// RunConfig is the manifest's "config" object: the shard config followed by
// the source settings.
type RunConfig struct {
	Config
	Source
}

// Counts are totals per split.
type Counts struct {
	Documents int64 `json:"documents"`
	Windows   int64 `json:"windows"`
	Tokens    int64 `json:"tokens"`     // content tokens of the documents
	BytesJSON int64 `json:"bytes_json"` // canonical JSON bytes the tokens stand for
	Padding   int64 `json:"padding"`    // PAD ids in the windows
}

// Fill is the share of the content and padding slots that content tokens
// fill: tokens / (tokens + padding).
func (c *Counts) Fill() float64 {
	if c.Tokens+c.Padding == 0 {
		return 0
	}
	return float64(c.Tokens) / float64(c.Tokens+c.Padding)
}

// Accounting is the fate of every input record.
type Accounting struct {
	Read             int64            `json:"read"`
	Written          int64            `json:"written"`
	Rejected         int64            `json:"rejected"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
	Duplicates       int64            `json:"duplicates"`
	InputErrors      []string         `json:"input_errors,omitempty"`
}

// ErrIncomplete marks a shard set whose run did not read all of its input.
var ErrIncomplete = errors.New("incomplete shard set")

// Manifest describes a finished shard directory. It is written last.
type Manifest struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Complete is false when the run could not read all of its input (the
	// reasons are InputErrors); readers refuse such a set unless allowed.
	// A manifest without the key is complete when it has no input errors.
	Complete  bool             `json:"complete"`
	Tokenizer string           `json:"tokenizer"` // sha256 of the tokenizer file
	Layout    tokenizer.Layout `json:"layout"`
	Config    RunConfig        `json:"config"`
	Inputs    []string         `json:"inputs"`
	Accounting
	Splits map[string]*Counts `json:"splits"`
	Shards []ShardInfo        `json:"shards"`
}

// Packed reports whether the windows of a split are packed (PackedRow).
func (m *Manifest) Packed(split string) bool { return m.Config.Pack && split == "train" }

// WriteJSONAtomic writes v as indented JSON to path via a fsynced temporary file.
func WriteJSONAtomic(path string, v any) error { return atomicfile.WriteJSON(path, v) }

// ReadOptions relax the checks of ReadManifestWith.
type ReadOptions struct {
	AllowIncomplete bool // accept a manifest with complete: false
}

// ReadManifest reads DIR/manifest.json and refuses an incomplete shard set
// (an error wrapping ErrIncomplete).
func ReadManifest(dir string) (*Manifest, error) { return ReadManifestWith(dir, ReadOptions{}) }

// ReadManifestWith reads DIR/manifest.json with the given options.
func ReadManifestWith(dir string, opt ReadOptions) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: no finished shard set here (%w)", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Format != ManifestFormat || m.Version != ManifestVersion {
		return nil, fmt.Errorf("%s: not a tct shard manifest (format %q version %d)", dir, m.Format, m.Version)
	}
	var key struct {
		Complete *bool `json:"complete"`
	}
	if json.Unmarshal(b, &key) == nil && key.Complete == nil {
		m.Complete = len(m.InputErrors) == 0 // written before the key existed
	}
	if !m.Complete && !opt.AllowIncomplete {
		return nil, IncompleteError(path, m.InputErrors)
	}
	return &m, nil
}

// IncompleteError says why a shard set is incomplete; it wraps ErrIncomplete.
func IncompleteError(path string, reasons []string) error {
	why := "no reason recorded"
	if len(reasons) > 0 {
		why = reasons[0]
		if len(reasons) > 1 {
			why += fmt.Sprintf(" (and %d more input errors)", len(reasons)-1)
		}
	}
	return fmt.Errorf("%s: %w: the run did not read all of its input: %s; rerun it on whole inputs, or pass --allow-incomplete to use it anyway", path, ErrIncomplete, why)
}

// Verify checks every shard's size and sha256 against the manifest.
func (m *Manifest) Verify(dir string) error {
	for _, s := range m.Shards {
		sum, n, err := FileSHA256(filepath.Join(dir, s.Name))
		if err != nil {
			return fmt.Errorf("shard %s: %w", s.Name, err)
		}
		if n != s.Bytes || sum != s.SHA256 {
			return fmt.Errorf("shard %s: corrupt or truncated (%d bytes, sha256 %.12s…; the manifest says %d bytes, %.12s…)", s.Name, n, sum, s.Bytes, s.SHA256)
		}
	}
	return nil
}

// Journal records the shards a run has finished, so that a rerun after an
// interruption rewrites only what is missing.
type Journal struct {
	path   string
	Config RunConfig   `json:"config"`
	Tok    string      `json:"tokenizer"`
	Inputs []string    `json:"inputs"`
	Done   []ShardInfo `json:"done"`
}

// OpenJournal loads the journal of an interrupted run with the same
// config, tokenizer and inputs (any other journal is discarded), verifies
// its shards on disk, and deletes temporary files left by a crash.
func OpenJournal(dir string, cfg RunConfig, tok string, inputs []string) (*Journal, error) {
	j := &Journal{path: filepath.Join(dir, journalName), Config: cfg, Tok: tok, Inputs: inputs}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, t := range tmps {
		os.Remove(t)
	}
	b, err := os.ReadFile(j.path)
	if err != nil {
		return j, nil
	}
	var old Journal
	if json.Unmarshal(b, &old) != nil || old.Config != cfg || old.Tok != tok || fmt.Sprint(old.Inputs) != fmt.Sprint(inputs) {
		return j, nil
	}
	for _, s := range old.Done {
		if sum, n, err := FileSHA256(filepath.Join(dir, s.Name)); err == nil && sum == s.SHA256 && n == s.Bytes {
			j.Done = append(j.Done, s)
		}
	}
	return j, nil
}

// Has reports whether a shard of that name is already complete.
func (j *Journal) Has(name string) bool {
	for _, s := range j.Done {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Add records a finished shard.
func (j *Journal) Add(s ShardInfo) error {
	if !j.Has(s.Name) {
		j.Done = append(j.Done, s)
	}
	return WriteJSONAtomic(j.path, j)
}

// Remove deletes the journal once the manifest is written.
func (j *Journal) Remove() { os.Remove(j.path) }
