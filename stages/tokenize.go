package stages

import (
	"context"
	"fmt"
	"sync"

	"github.com/tct-dev/tct/tokenizer"
)

// Tokenize encodes each document with the tokenizer into r.Tokens (a pool of
// encoders, so any number of workers can run it) and keeps totals.
type Tokenize struct {
	Tok *tokenizer.Tokenizer

	pool  sync.Pool
	mu    sync.Mutex
	Total TokenizeTotals
}

// TokenizeTotals are the sums over the documents tokenized.
type TokenizeTotals struct {
	Documents    int64
	BytesJSON    int64
	BytesYAML    int64
	Tokens       int64
	Schema       tokenizer.Stats
	EncodeErrors int64
}

func (t *Tokenize) Name() string { return "tokenize" }

func (t *Tokenize) Process(_ context.Context, r *Record) error {
	if r.Done() {
		return nil
	}
	enc, _ := t.pool.Get().(*tokenizer.Encoder)
	if enc == nil {
		enc = t.Tok.NewEncoder()
	}
	ids, st, err := enc.Encode(nil, r.JSON)
	t.pool.Put(enc)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		// Canonical JSON always encodes; this is a bug, not bad input.
		t.Total.EncodeErrors++
		return fmt.Errorf("tokenize: %w", err)
	}
	r.Tokens = ids
	tt := &t.Total
	tt.Documents++
	tt.BytesJSON += int64(len(r.JSON))
	tt.BytesYAML += int64(len(r.Content))
	tt.Tokens += int64(len(ids))
	tt.Schema.Add(st)
	return nil
}
