package explore

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// Token is one content id of a document as the page shows it.
type Token struct {
	ID    int32    `json:"id"`
	Text  string   `json:"text"` // see visible
	Bytes int      `json:"bytes"`
	Split bool     `json:"split,omitempty"` // the id splits a UTF-8 character: Text shows its bytes as \xNN
	Kind  string   `json:"kind"`
	Path  string   `json:"path"`
	Table int      `json:"table"`
	Base  []string `json:"base,omitempty"`
	Bits  *float64 `json:"bits,omitempty"` // the model's loss on this id, with a checkpoint
}

// Result is the answer of /api/tokenize and /api/loss.
type Result struct {
	Tokens     []Token  `json:"tokens"`
	Count      int      `json:"count"`
	O200kJSON  int      `json:"o200k_json"`
	O200kYAML  int      `json:"o200k_yaml"`
	BytesJSON  int      `json:"bytes_json"`
	BytesYAML  int      `json:"bytes_yaml"`
	O200kTextJ []string `json:"o200k_json_tokens"`
	O200kTextY []string `json:"o200k_yaml_tokens"`
	Bits       *float64 `json:"bits,omitempty"` // the sum of Tokens[i].Bits
}

// doc is a workflow converted and encoded.
type doc struct {
	yaml, json []byte
	ids        []int32
}

// BadInput is a document convert would reject, with its reason.
type BadInput struct{ Reject *stages.Reject }

func (e *BadInput) Error() string { return e.Reject.Error() }

// analyzer converts, checks and encodes documents like `tct tokenize`.
type analyzer struct {
	tok     *tokenizer.Tokenizer
	o200k   tiktoken.Codec
	maxSize int64
	limits  stages.ConvertLimits
}

func newAnalyzer(tok *tokenizer.Tokenizer) (*analyzer, error) {
	codec, err := tiktoken.Get(tiktoken.O200kBase)
	if err != nil {
		return nil, fmt.Errorf("o200k_base: %w", err)
	}
	return &analyzer{tok: tok, o200k: codec, maxSize: stages.DefaultReadOptions().MaxSize, limits: stages.DefaultConvertLimits()}, nil
}

// parse runs the convert and check stages on src, a document of size
// bytes; a rejected document is a *BadInput with the reason convert gives.
func (a *analyzer) parse(ctx context.Context, src []byte, size int64) (*doc, error) {
	r := &stages.Record{Content: src}
	if size > a.maxSize {
		r.Fail(stages.ReasonTooLarge, fmt.Sprintf("%d bytes, over the limit of %d", size, a.maxSize))
	}
	for _, s := range []stages.Stage{&stages.Convert{Limits: a.limits}, stages.CheckWorkflow{}} {
		if err := s.Process(ctx, r); err != nil {
			return nil, err
		}
	}
	if r.Reject != nil {
		return nil, &BadInput{Reject: r.Reject}
	}
	ids, _, err := a.tok.NewEncoder().Encode(nil, r.JSON)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return &doc{yaml: src, json: r.JSON, ids: ids}, nil
}

// result annotates the ids of d and counts o200k tokens of its JSON and YAML.
func (a *analyzer) result(d *doc) (*Result, error) {
	ann, err := a.tok.Annotate(d.ids)
	if err != nil {
		return nil, fmt.Errorf("annotate: %w", err)
	}
	res := &Result{Tokens: make([]Token, len(ann)), Count: len(d.ids), BytesJSON: len(d.json), BytesYAML: len(d.yaml)}
	for i, x := range ann {
		res.Tokens[i] = newToken(x)
	}
	if _, res.O200kTextJ, err = a.o200k.Encode(string(d.json)); err != nil {
		return nil, err
	}
	if _, res.O200kTextY, err = a.o200k.Encode(string(d.yaml)); err != nil {
		return nil, err
	}
	res.O200kJSON, res.O200kYAML = len(res.O200kTextJ), len(res.O200kTextY)
	for _, toks := range [][]string{res.O200kTextJ, res.O200kTextY} {
		for i, t := range toks {
			toks[i], _ = visible(t)
		}
	}
	return res, nil
}

func newToken(a tokenizer.Annotation) Token {
	text, split := visible(a.Text)
	return Token{ID: a.ID, Text: text, Bytes: a.Bytes, Split: split, Kind: a.Kind, Path: a.Path, Table: a.Table, Base: a.Base}
}

// visible returns s with the bytes that are not UTF-8 on their own (a
// character split between tokens) written as \xNN, and whether there were any.
func visible(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, false
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "\\x%02x", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String(), true
}
