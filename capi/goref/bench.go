package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// benchResult is the fastest of the timed passes over the documents.
type benchResult struct {
	Name       string  `json:"name"`
	Seconds    float64 `json:"seconds"`
	MBPerSec   float64 `json:"mb_per_s"` // of YAML bytes
	DocsPerSec float64 `json:"docs_per_s"`
	Tokens     int64   `json:"tokens"`
}

// benchDocs are the accepted documents of `goref docs` output.
type benchDocs struct {
	contents, jsons [][]byte
	ids             [][]int32
	yamlBytes       int64
}

func readBenchDocs(in io.Reader) (*benchDocs, error) {
	d := &benchDocs{}
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<28)
	for sc.Scan() {
		var r docRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		if r.Reject != "" {
			continue
		}
		d.contents, d.jsons, d.ids = append(d.contents, []byte(r.Content)), append(d.jsons, []byte(r.JSON)), append(d.ids, r.IDs)
		d.yamlBytes += int64(len(r.Content))
	}
	return d, sc.Err()
}

// time runs f over every document repeat times and keeps the fastest pass.
func (d *benchDocs) time(name string, repeat int, f func(i int) (int, error)) (benchResult, error) {
	best := 0.0
	var n int64
	for r := 0; r < repeat; r++ {
		start := time.Now()
		n = 0
		for i := range d.contents {
			k, err := f(i)
			if err != nil {
				return benchResult{}, fmt.Errorf("%s: document %d: %w", name, i, err)
			}
			n += int64(k)
		}
		if s := time.Since(start).Seconds(); r == 0 || s < best {
			best = s
		}
	}
	return benchResult{Name: name, Seconds: best, MBPerSec: float64(d.yamlBytes) / 1e6 / best,
		DocsPerSec: float64(len(d.contents)) / best, Tokens: n}, nil
}

// bench times the Go tokenizer on one goroutine over the docs on in.
func bench(tok *tokenizer.Tokenizer, in io.Reader, repeat int, enc *json.Encoder) error {
	d, err := readBenchDocs(in)
	if err != nil {
		return err
	}
	codec, err := tiktoken.Get(tiktoken.O200kBase)
	if err != nil {
		return err
	}
	e := tok.NewEncoder()
	var buf []int32
	var js []byte
	passes := []struct {
		name string
		f    func(i int) (int, error)
	}{
		{"go encode yaml", func(i int) (int, error) {
			var err error
			if js, err = stages.YAMLToJSON(js[:0], d.contents[i], stages.DefaultConvertLimits()); err != nil {
				return 0, err
			}
			buf, _, err = e.Encode(buf[:0], js)
			return len(buf), err
		}},
		{"go encode json", func(i int) (int, error) {
			var err error
			buf, _, err = e.Encode(buf[:0], d.jsons[i])
			return len(buf), err
		}},
		{"go decode json", func(i int) (int, error) {
			_, _, err := tok.Decode(d.ids[i])
			return len(d.ids[i]), err
		}},
		{"go decode yaml", func(i int) (int, error) {
			doc, _, err := tok.Decode(d.ids[i])
			if err != nil {
				return 0, err
			}
			return len(d.ids[i]), canon.WriteDoc(io.Discard, doc, "yaml")
		}},
		{"go tiktoken o200k yaml", func(i int) (int, error) { return codec.Count(string(d.contents[i])) }},
	}
	var results []benchResult
	for _, p := range passes {
		r, err := d.time(p.name, repeat, p.f)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	return enc.Encode(map[string]any{"documents": len(d.contents), "yaml_bytes": d.yamlBytes, "results": results})
}
