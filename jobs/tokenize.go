package jobs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// TokenizeConfig configures the tokenize job.
type TokenizeConfig struct {
	Convert ConvertConfig
	Tok     *tokenizer.Tokenizer
	// Verify decodes every document again and counts the round trips that differ.
	Verify bool
	// Vs names another tokenizer to count the canonical JSON and the YAML with ("o200k" or "").
	Vs string
	// HeldOut counts only the repositories the tokenizer was not trained on.
	HeldOut bool
}

// TokenizeTotals are the sums over documents of `tct tokenize`.
type TokenizeTotals struct {
	Documents         int64           `json:"documents"`
	BytesJSON         int64           `json:"bytes_json"`
	BytesYAML         int64           `json:"bytes_yaml"`
	Tokens            int64           `json:"tokens"`
	RoundtripFailures int64           `json:"roundtrip_failures"`
	O200kTokensJSON   int64           `json:"o200k_tokens_json,omitempty"`
	O200kTokensYAML   int64           `json:"o200k_tokens_yaml,omitempty"`
	Schema            tokenizer.Stats `json:"schema"`
	EncodeErrors      int64           `json:"encode_errors"`
}

// TokenizeReport is the report of `tct tokenize`.
type TokenizeReport struct {
	TokenizeTotals
	Read        int64   `json:"read"`
	Rejected    int64   `json:"rejected"`
	Duplicates  int64   `json:"duplicates"`
	Tokenizer   string  `json:"tokenizer"`
	BytesPerTok float64 `json:"bytes_json_per_token"`
	VsO200kJSON float64 `json:"fewer_tokens_than_o200k_json,omitempty"`
	VsO200kYAML float64 `json:"fewer_tokens_than_o200k_yaml,omitempty"`
	Seconds     float64 `json:"seconds"`
}

// measure is the tokenize job's stage: it selects records, runs the
// Tokenize stage on them and adds the round-trip and comparison counts.
type measure struct {
	*stages.Tokenize
	verify  bool
	compare func(string) int
	selects func(*stages.Record) bool

	mu                             sync.Mutex
	failures, otherJSON, otherYAML int64
}

func (m *measure) Process(ctx context.Context, r *stages.Record) error {
	if r.Done() || m.selects != nil && !m.selects(r) {
		return nil
	}
	if err := m.Tokenize.Process(ctx, r); err != nil || r.Done() {
		return err
	}
	failed := false
	if m.verify {
		out, consumed, err := m.Tok.Decode(r.Tokens)
		failed = err != nil || consumed != len(r.Tokens) || !bytes.Equal(out, r.JSON)
	}
	var oj, oy int
	if m.compare != nil {
		oj, oy = m.compare(string(r.JSON)), m.compare(string(r.Content))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.otherJSON += int64(oj)
	m.otherYAML += int64(oy)
	if failed {
		m.failures++
	}
	return nil
}

func newMeasure(cfg TokenizeConfig) (*measure, error) {
	tok := cfg.Tok
	m := &measure{Tokenize: &stages.Tokenize{Tok: tok}, verify: cfg.Verify}
	if cfg.HeldOut {
		if tok.Meta.HoldoutFraction <= 0 {
			return nil, fmt.Errorf("--held-out: the tokenizer was trained without a holdout")
		}
		m.selects = func(r *stages.Record) bool {
			return stages.InHoldout(r, tok.Meta.HoldoutFraction, tok.Meta.HoldoutSeed)
		}
	}
	switch cfg.Vs {
	case "":
	case "o200k":
		codec, err := tiktoken.Get(tiktoken.O200kBase)
		if err != nil {
			return nil, err
		}
		m.compare = func(s string) int {
			n, _ := codec.Count(s)
			return n
		}
	default:
		return nil, fmt.Errorf("--vs %q: only o200k is known", cfg.Vs)
	}
	return m, nil
}

// Tokenize encodes every document of the inputs and reports the counts; a
// corrupt input is an error.
func Tokenize(ctx context.Context, cfg TokenizeConfig, watch Watch) (*TokenizeReport, error) {
	m, err := newMeasure(cfg)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	sum, err := RunWith(ctx, cfg.Convert, m, watch)
	if err == nil && len(sum.InputErrors) > 0 {
		err = fmt.Errorf("input error: %s", sum.InputErrors[0])
	}
	if err != nil {
		return nil, err
	}
	t := m.Total
	rep := &TokenizeReport{TokenizeTotals: TokenizeTotals{Documents: t.Documents, BytesJSON: t.BytesJSON, BytesYAML: t.BytesYAML,
		Tokens: t.Tokens, RoundtripFailures: m.failures, O200kTokensJSON: m.otherJSON, O200kTokensYAML: m.otherYAML,
		Schema: t.Schema, EncodeErrors: t.EncodeErrors},
		Read: sum.Read, Rejected: sum.Rejected, Duplicates: sum.Duplicates, Tokenizer: cfg.Tok.Fingerprint, Seconds: time.Since(start).Seconds()}
	if t.Tokens > 0 {
		rep.BytesPerTok = float64(t.BytesJSON) / float64(t.Tokens)
	}
	if rep.O200kTokensJSON > 0 {
		rep.VsO200kJSON = 1 - float64(t.Tokens)/float64(rep.O200kTokensJSON)
		rep.VsO200kYAML = 1 - float64(t.Tokens)/float64(rep.O200kTokensYAML)
	}
	return rep, nil
}

// Explain writes every token of every document of the inputs to w, with its
// meaning in context; rejected and duplicate records get a line each.
func Explain(ctx context.Context, tok *tokenizer.Tokenizer, cfg ConvertConfig, w io.Writer) error {
	out := bufio.NewWriter(w)
	defer out.Flush()
	enc := tok.NewEncoder()
	p := pipeline.New(ctx)
	recs, _, err := Records(p, cfg)
	if err != nil {
		return err
	}
	pipeline.Sink(p, "explain", recs, func(_ context.Context, r *stages.Record) error {
		if r.Done() {
			fmt.Fprintf(out, "# %s: %s\n", r.Source(), rejectText(r))
			return nil
		}
		ids, st, err := enc.Encode(nil, r.JSON)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Source(), err)
		}
		fmt.Fprintf(out, "# %s: %d bytes of JSON, %d tokens; %d values, %d fallback\n", r.Source(), len(r.JSON), len(ids), st.Values, st.Fallback)
		fmt.Fprintf(out, "%6s  %5s  %-11s %-40s %s\n", "pos", "id", "kind", "tokens in context", "JSON")
		return tok.Explain(out, ids)
	})
	return p.Wait()
}

func rejectText(r *stages.Record) string {
	if r.Duplicate {
		return "duplicate"
	}
	return "rejected: " + r.Reject.Error()
}
