// Package capi is the tokenizer as libtct (capi/libtct, a C shared library)
// and the Python adapter (python/tct.py) see it: load, encode YAML or JSON,
// decode to YAML or JSON, cut windows as the pipeline does, and list the ids
// the grammar allows after a prefix. It holds no cgo, so it is tested like
// any Go package; libtct only moves memory across the C boundary.
package capi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// Format is the text form of a document.
type Format int

const (
	JSON Format = 0 // canonical JSON
	YAML Format = 1 // YAML (converted with stages.YAMLToJSON on the way in)
)

// ParseFormat reads "json" or "yaml".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "json":
		return JSON, nil
	case "yaml":
		return YAML, nil
	}
	return 0, fmt.Errorf("format %q: want yaml or json", s)
}

func (f Format) String() string {
	if f == YAML {
		return "yaml"
	}
	return "json"
}

// Tokenizer is a loaded tokenizer with a free list of encoders: every method
// is safe for concurrent use. The list keeps as many encoders as calls ever
// ran at once, with their segment caches warm (a sync.Pool would drop them
// at every garbage collection).
type Tokenizer struct {
	Tok  *tokenizer.Tokenizer
	mu   sync.Mutex
	free []*tokenizer.Encoder
}

// Load reads a tokenizer file, or the embedded default for "".
func Load(path string) (*Tokenizer, error) {
	t, err := tokenizer.LoadOr(path, configs.Tokenizer)
	if err != nil {
		return nil, err
	}
	return &Tokenizer{Tok: t}, nil
}

// Layout is the model vocabulary: content ids, PAD, position tokens.
func (t *Tokenizer) Layout() tokenizer.Layout { return t.Tok.Layout }

// Encode returns the content ids of one document, as the pipeline encodes
// it: YAML goes through stages.YAMLToJSON with the default limits first.
func (t *Tokenizer) Encode(text []byte, f Format) ([]int32, error) {
	doc := text
	if f == YAML {
		var err error
		if doc, err = stages.YAMLToJSON(nil, text, stages.DefaultConvertLimits()); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	var enc *tokenizer.Encoder
	if n := len(t.free); n > 0 {
		enc, t.free = t.free[n-1], t.free[:n-1]
	} else {
		enc = t.Tok.NewEncoder()
	}
	t.mu.Unlock()
	ids, _, err := enc.Encode(nil, doc)
	t.mu.Lock()
	t.free = append(t.free, enc)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// Decode turns content ids back into the document, as canonical JSON (no
// trailing newline) or as YAML (canon.WriteDoc). consumed < len(ids) means
// surplus ids after the document.
func (t *Tokenizer) Decode(ids []int32, f Format) (text []byte, consumed int, err error) {
	doc, consumed, err := t.Tok.Decode(ids)
	if err != nil || f == JSON {
		return doc, consumed, err
	}
	var b bytes.Buffer
	if err := canon.WriteDoc(&b, doc, "yaml"); err != nil {
		return nil, consumed, fmt.Errorf("render YAML: %w", err)
	}
	return b.Bytes(), consumed, nil
}

// Windows cuts a document's ids into the pipeline's training windows
// (shards.Starts and shards.Window, as stages.ShardSink does): count windows
// of ctx+1 ids each, flattened, with each window's start and valid length.
// stride <= 0 means stride = ctx.
func (t *Tokenizer) Windows(ids []int32, ctx, stride int) (flat, starts, valid []int32, err error) {
	if ctx <= 0 {
		return nil, nil, nil, fmt.Errorf("context %d: want a positive context", ctx)
	}
	if stride > ctx {
		return nil, nil, nil, fmt.Errorf("stride %d is larger than the context %d", stride, ctx)
	}
	for _, st := range shards.Starts(len(ids), ctx, stride) {
		w, v := shards.Window(t.Tok.Layout, ids, st, len(ids), ctx)
		flat = append(flat, w...)
		starts = append(starts, int32(st))
		valid = append(valid, int32(v))
	}
	return flat, starts, valid, nil
}

// Allowed returns the content ids the grammar allows after prefix (content
// ids only, no position token) as a bitmask: id i is allowed when bit i%8
// of byte i/8 is set. The mask is (Content+7)/8 bytes long; it is empty
// (all zero) once the document is complete.
func (t *Tokenizer) Allowed(prefix []int32) ([]byte, error) {
	m := t.Tok.Grammar.NewMachine(true)
	for i, id := range prefix {
		if err := t.Tok.Advance(m, id); err != nil {
			return nil, fmt.Errorf("id %d at position %d: %w", id, i, err)
		}
	}
	mask := t.Tok.AllowedIDs(m)
	out := make([]byte, len(mask)*8)
	for i, w := range mask {
		binary.LittleEndian.PutUint64(out[i*8:], w)
	}
	n := (t.Tok.Layout.Content + 7) / 8
	if len(out) < n {
		out = append(out, make([]byte, n-len(out))...)
	}
	return out[:n], nil
}

// Safe runs f and turns a panic into an error, so that a bug or bad input
// never takes down the process that loaded the library.
func Safe(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tct: internal error: %v", r)
		}
	}()
	return f()
}
