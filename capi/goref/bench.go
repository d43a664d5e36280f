package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// benchResult is one timed pass over the documents.
type benchResult struct {
	Name       string  `json:"name"`
	Seconds    float64 `json:"seconds"`
	MBPerSec   float64 `json:"mb_per_s"` // of YAML bytes
	DocsPerSec float64 `json:"docs_per_s"`
	Tokens     int64   `json:"tokens"`
}

// bench times the Go tokenizer on one goroutine over the docs on in.
func bench(tok *tokenizer.Tokenizer, in io.Reader, repeat int, enc *json.Encoder) error {
	var contents, jsons [][]byte
	var ids [][]int32
	var yamlBytes int64
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<28)
	for sc.Scan() {
		var d docRecord
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return err
		}
		if d.Reject != "" {
			continue
		}
		contents, jsons, ids = append(contents, []byte(d.Content)), append(jsons, []byte(d.JSON)), append(ids, d.IDs)
		yamlBytes += int64(len(d.Content))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	e := tok.NewEncoder()
	pass := func(name string, f func(i int) (int, error)) (benchResult, error) {
		s := 0.0
		var n int64
		for r := 0; r < repeat; r++ {
			start := time.Now()
			n = 0
			for i := range contents {
				k, err := f(i)
				if err != nil {
					return benchResult{}, fmt.Errorf("%s: document %d: %w", name, i, err)
				}
				n += int64(k)
			}
			if d := time.Since(start).Seconds(); r == 0 || d < s {
				s = d
			}
		}
		return benchResult{Name: name, Seconds: s, MBPerSec: float64(yamlBytes) / 1e6 / s, DocsPerSec: float64(len(contents)) / s, Tokens: n}, nil
	}
	var buf []int32
	var js []byte
	passes := map[string]func(i int) (int, error){
		"go encode yaml": func(i int) (int, error) {
			var err error
			if js, err = stages.YAMLToJSON(js[:0], contents[i], stages.DefaultConvertLimits()); err != nil {
				return 0, err
			}
			buf, _, err = e.Encode(buf[:0], js)
			return len(buf), err
		},
		"go encode json": func(i int) (int, error) {
			var err error
			buf, _, err = e.Encode(buf[:0], jsons[i])
			return len(buf), err
		},
		"go decode json": func(i int) (int, error) {
			_, _, err := tok.Decode(ids[i])
			return len(ids[i]), err
		},
	}
	codec, err := tiktoken.Get(tiktoken.O200kBase)
	if err != nil {
		return err
	}
	passes["go tiktoken o200k yaml"] = func(i int) (int, error) { return codec.Count(string(contents[i])) }
	out := map[string]any{"documents": len(contents), "yaml_bytes": yamlBytes}
	var results []benchResult
	for _, name := range []string{"go encode yaml", "go encode json", "go decode json", "go tiktoken o200k yaml"} {
		r, err := pass(name, passes[name])
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	out["results"] = results
	return enc.Encode(out)
}
