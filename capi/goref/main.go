// Command goref prints what the Go tokenizer makes of documents, for
// python/test_tct.py to compare the Python adapter with:
//
//	goref docs [-every K] [-tokenizer FILE] INPUT...
//	    one JSON line per record of the dumps (read, filter, dedup, convert
//	    and check, then tokenize, as `tct tokenize` runs them): source,
//	    content, canonical json, ids and the YAML rendering; a rejected
//	    record has its reject and, if its YAML does not convert, that error.
//	goref query [-tokenizer FILE] < requests.jsonl
//	    answers one request a line: {"prefix": [...]} with the ids allowed
//	    next ({"allowed": [...]}), {"text": ..., "format": "yaml"|"json"}
//	    with its ids; either with {"error": message} when the tokenizer
//	    refuses.
//	goref bench [-repeat R] [-tokenizer FILE] < docs.jsonl
//	    times one goroutine over the documents of `goref docs`: encode from
//	    YAML, encode from JSON, decode to JSON and to YAML, and o200k_base (tiktoken-go)
//	    on the YAML, each R times (the fastest counts); prints a JSON report.
//
// It calls the tokenizer package directly, not through capi.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "goref:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: goref docs|query|bench [flags] ...")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	tokPath := fs.String("tokenizer", "", "tokenizer file (default: the embedded one)")
	every := fs.Int("every", 1, "docs: print every K-th record only")
	repeat := fs.Int("repeat", 1, "bench: passes of each kind (the fastest counts)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tok, err := loadTokenizer(*tokPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	switch args[0] {
	case "docs":
		return docs(ctx, tok, fs.Args(), max(*every, 1), json.NewEncoder(w))
	case "query":
		return query(tok, in, json.NewEncoder(w))
	case "bench":
		return bench(tok, in, max(*repeat, 1), json.NewEncoder(w))
	}
	return fmt.Errorf("unknown command %q: want docs, query or bench", args[0])
}

func loadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	if path == "" {
		return tokenizer.Parse(configs.Tokenizer)
	}
	return tokenizer.Load(path)
}

// docRecord is one line of `goref docs`.
type docRecord struct {
	Source       string  `json:"source"`
	Content      string  `json:"content"`
	JSON         string  `json:"json,omitempty"`
	IDs          []int32 `json:"ids,omitempty"`
	YAML         string  `json:"yaml,omitempty"`
	Reject       string  `json:"reject,omitempty"`
	ConvertError string  `json:"convert_error,omitempty"`
}

// docs runs the convert stages and the tokenize stage over the inputs and
// prints every K-th record that is not a duplicate.
func docs(ctx context.Context, tok *tokenizer.Tokenizer, inputs []string, every int, enc *json.Encoder) error {
	cfg := jobs.DefaultConvertConfig()
	var err error
	if cfg.Inputs, err = stages.ExpandInputs(inputs); err != nil {
		return err
	}
	p := pipeline.New(ctx)
	recs, ie, err := jobs.Records(p, cfg)
	if err != nil {
		return err
	}
	tz := &stages.Tokenize{Tok: tok}
	recs = jobs.Apply(p, recs, pipeline.Options{Workers: 2, Ordered: true}, tz)
	pipeline.Sink(p, "print", recs, func(ctx context.Context, r *stages.Record) error {
		if r.Duplicate || r.Seq%int64(every) != 0 || !utf8.Valid(r.Content) {
			return nil
		}
		return enc.Encode(describe(r))
	})
	if err := p.Wait(); err != nil {
		return err
	}
	if len(ie.Errs) > 0 {
		return fmt.Errorf("input error: %w", ie.Errs[0])
	}
	return nil
}

func describe(r *stages.Record) docRecord {
	d := docRecord{Source: r.Source(), Content: string(r.Content)}
	if r.Reject != nil {
		d.Reject = r.Reject.Error()
		if _, err := stages.YAMLToJSON(nil, r.Content, stages.DefaultConvertLimits()); err != nil {
			d.ConvertError = err.Error()
		}
		return d
	}
	var y bytes.Buffer
	if err := canon.WriteDoc(&y, r.JSON, "yaml"); err != nil {
		d.Reject = "yaml: " + err.Error()
	}
	d.JSON, d.IDs, d.YAML = string(r.JSON), r.Tokens, y.String()
	return d
}

// request is one line of `goref query`.
type request struct {
	Prefix []int32 `json:"prefix"`
	Text   *string `json:"text"`
	Format string  `json:"format"`
}

type answer struct {
	Allowed []int32 `json:"allowed,omitempty"`
	IDs     []int32 `json:"ids,omitempty"`
	Error   string  `json:"error,omitempty"`
}

func query(tok *tokenizer.Tokenizer, in io.Reader, enc *json.Encoder) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<28)
	for sc.Scan() {
		var q request
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return fmt.Errorf("request %q: %w", sc.Text(), err)
		}
		var a answer
		var err error
		if q.Text != nil {
			a.IDs, err = encode(tok, []byte(*q.Text), q.Format)
		} else {
			a.Allowed, err = allowed(tok, q.Prefix)
		}
		if err != nil {
			a = answer{Error: err.Error()}
		}
		if err := enc.Encode(a); err != nil {
			return err
		}
	}
	return sc.Err()
}

func encode(tok *tokenizer.Tokenizer, text []byte, format string) ([]int32, error) {
	if format == "yaml" {
		var err error
		if text, err = stages.YAMLToJSON(nil, text, stages.DefaultConvertLimits()); err != nil {
			return nil, err
		}
	}
	ids, _, err := tok.NewEncoder().Encode(nil, text)
	return ids, err
}

func allowed(tok *tokenizer.Tokenizer, prefix []int32) ([]int32, error) {
	m := tok.Grammar.NewMachine(true)
	for i, id := range prefix {
		if err := tok.Advance(m, id); err != nil {
			return nil, fmt.Errorf("id %d at position %d: %w", id, i, err)
		}
	}
	out := []int32{}
	for _, id := range tok.AllowedIDs(m).Tokens() {
		out = append(out, int32(id))
	}
	return out, nil
}
