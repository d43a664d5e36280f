package stages

import (
	"context"
	"fmt"
	"sync"

	"github.com/tct-dev/tct/tokenizer"
)

// MaxDepth is the deepest nesting every stage takes (the tokenizer stops
// somewhat deeper): the upper bound of ConvertLimits.MaxDepth.
const MaxDepth = 500

// jsonDepth is the deepest nesting of arrays and objects in a JSON text.
func jsonDepth(b []byte) int {
	depth, most := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, err := skipString(b, i)
			if err != nil {
				return most
			}
			i = end - 1
		case '[', '{':
			depth++
			most = max(most, depth)
		case ']', '}':
			depth--
		}
	}
	return most
}

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
		// Canonical JSON encodes unless it nests deeper than the tokenizer
		// goes; either way one document is rejected, the run goes on.
		t.Total.EncodeErrors++
		if d := jsonDepth(r.JSON); d > MaxDepth {
			r.Fail(ReasonTooDeep, fmt.Sprintf("nesting %d deep: the tokenizer takes at most %d (%v)", d, MaxDepth, err))
		} else {
			r.Fail(ReasonEncode, fmt.Sprintf("tokenize: %v", err))
		}
		return nil
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
