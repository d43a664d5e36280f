package capi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// testDocs returns the YAML contents of testdata/dump.jsonl.
func testDocs(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "dump.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct{ Content string }
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // the dump holds a broken line on purpose
		}
		out = append(out, []byte(r.Content))
	}
	if len(out) == 0 {
		t.Fatal("no documents")
	}
	return out
}

func load(t *testing.T) *Tokenizer {
	t.Helper()
	tok, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLoad(t *testing.T) {
	tok := load(t)
	file, err := Load(filepath.Join("..", "configs", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if file.Tok.Fingerprint != tok.Tok.Fingerprint {
		t.Errorf("the file's fingerprint %s differs from the embedded one's %s", file.Tok.Fingerprint, tok.Tok.Fingerprint)
	}
	if _, err := Load("no-such-file.json"); err == nil {
		t.Error("a missing file loads")
	}
	if l := tok.Layout(); l.PAD != l.Content || l.ModelVocab%128 != 0 {
		t.Errorf("layout %+v", l)
	}
}

// TestRoundTrip: YAML and JSON encode to the same ids, which decode to the
// converter's JSON and to canon.WriteDoc's YAML.
func TestRoundTrip(t *testing.T) {
	tok := load(t)
	for i, y := range testDocs(t) {
		js, err := stages.YAMLToJSON(nil, y, stages.DefaultConvertLimits())
		if err != nil {
			continue
		}
		ids, err := tok.Encode(y, YAML)
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		fromJSON, err := tok.Encode(js, JSON)
		if err != nil || !equal(ids, fromJSON) {
			t.Fatalf("document %d: JSON gives other ids (%v)", i, err)
		}
		back, consumed, err := tok.Decode(ids, JSON)
		if err != nil || consumed != len(ids) || !bytes.Equal(back, js) {
			t.Fatalf("document %d: decode to JSON: %v\n%s\n%s", i, err, back, js)
		}
		var want bytes.Buffer
		if err := canon.WriteDoc(&want, js, "yaml"); err != nil {
			t.Fatal(err)
		}
		if back, _, err := tok.Decode(ids, YAML); err != nil || !bytes.Equal(back, want.Bytes()) {
			t.Fatalf("document %d: decode to YAML: %v\n%s", i, err, back)
		}
	}
}

func TestErrors(t *testing.T) {
	tok := load(t)
	var rej *stages.Reject
	if _, err := tok.Encode([]byte("jobs: [unclosed"), YAML); !errors.As(err, &rej) {
		t.Errorf("bad YAML: %v, want a *stages.Reject", err)
	}
	if _, err := tok.Encode([]byte(`{"on":`), JSON); err == nil {
		t.Error("truncated JSON encodes")
	}
	if _, _, err := tok.Decode([]int32{int32(tok.Layout().Content)}, JSON); err == nil {
		t.Error("PAD decodes")
	}
	if _, err := tok.Allowed([]int32{-1}); err == nil {
		t.Error("id -1 is allowed")
	}
	if _, _, _, err := tok.Windows([]int32{1}, 0, 0); err == nil {
		t.Error("context 0 cuts windows")
	}
	if _, err := ParseFormat("toml"); err == nil {
		t.Error("toml is a format")
	}
	err := Safe(func() error { var m map[string]int; m["x"] = 1; return nil })
	if err == nil {
		t.Error("a panic is not an error")
	}
}

// TestWindows: the windows are the pipeline's (shards.Starts, shards.Window).
func TestWindows(t *testing.T) {
	tok := load(t)
	ids, err := tok.Encode(testDocs(t)[0], YAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ctx, stride int }{{16, 0}, {16, 8}, {4096, 0}} {
		flat, starts, valid, err := tok.Windows(ids, c.ctx, c.stride)
		if err != nil {
			t.Fatal(err)
		}
		want := shards.Starts(len(ids), c.ctx, c.stride)
		if len(starts) != len(want) || len(flat) != len(want)*(c.ctx+1) {
			t.Fatalf("%+v: %d windows, want %d", c, len(starts), len(want))
		}
		for i, st := range want {
			w, v := shards.Window(tok.Layout(), ids, st, len(ids), c.ctx)
			if int(starts[i]) != st || int(valid[i]) != v || !equal(flat[i*(c.ctx+1):(i+1)*(c.ctx+1)], w) {
				t.Fatalf("%+v: window %d differs", c, i)
			}
		}
	}
}

// TestAllowed: the mask holds the machine's allowed ids, and at every
// prefix of a document the id that comes next.
func TestAllowed(t *testing.T) {
	tok := load(t)
	ids, err := tok.Encode(testDocs(t)[0], YAML)
	if err != nil {
		t.Fatal(err)
	}
	m := tok.Tok.Grammar.NewMachine(true)
	for k := 0; k <= len(ids); k++ {
		mask, err := tok.Allowed(ids[:k])
		if err != nil {
			t.Fatal(err)
		}
		if len(mask) != (tok.Layout().Content+7)/8 {
			t.Fatalf("mask of %d bytes", len(mask))
		}
		want := tok.Tok.AllowedIDs(m)
		for id := 0; id < tok.Layout().Content; id++ {
			if (mask[id/8]>>(id%8)&1 == 1) != want.Has(tokenizer.Token(id)) {
				t.Fatalf("prefix %d: id %d differs from AllowedIDs", k, id)
			}
		}
		if k == len(ids) {
			if want.Count() != 0 {
				t.Error("ids are allowed after the document")
			}
			break
		}
		if mask[ids[k]/8]>>(ids[k]%8)&1 == 0 {
			t.Fatalf("prefix %d: the next id %d is not allowed", k, ids[k])
		}
		if err := tok.Tok.Advance(m, ids[k]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentEncode(t *testing.T) {
	tok := load(t)
	docs := testDocs(t)
	want := make([][]int32, len(docs))
	for i, d := range docs {
		want[i], _ = tok.Encode(d, YAML)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, d := range docs {
				if got, _ := tok.Encode(d, YAML); !equal(got, want[i]) {
					t.Errorf("document %d: other ids under concurrency", i)
				}
			}
		}()
	}
	wg.Wait()
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
