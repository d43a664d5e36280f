package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsAndQuery: every document goref prints has ids, and the allowed
// ids it reports admit each next id of the first document.
func TestDocsAndQuery(t *testing.T) {
	var out bytes.Buffer
	inputs := []string{filepath.Join("..", "..", "testdata", "dump"), filepath.Join("..", "..", "testdata", "dump.jsonl")}
	if err := run(context.Background(), append([]string{"docs"}, inputs...), nil, &out); err != nil {
		t.Fatal(err)
	}
	var first *docRecord
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var d docRecord
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		if d.Reject == "" && (len(d.IDs) == 0 || d.JSON == "" || d.YAML == "") {
			t.Errorf("%s: incomplete record", d.Source)
		}
		if first == nil && d.Reject == "" {
			first = &d
		}
	}
	if first == nil {
		t.Fatal("no document")
	}
	var q bytes.Buffer
	enc := json.NewEncoder(&q)
	for k := range first.IDs {
		enc.Encode(request{Prefix: first.IDs[:k]})
	}
	text := "jobs: [unclosed"
	enc.Encode(request{Text: &text, Format: "yaml"})
	out.Reset()
	if err := run(context.Background(), []string{"query"}, &q, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(first.IDs)+1 {
		t.Fatalf("%d answers to %d requests", len(lines), len(first.IDs)+1)
	}
	for k, line := range lines {
		var a answer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		if k == len(first.IDs) {
			if a.Error == "" {
				t.Error("bad YAML gives no error")
			}
			continue
		}
		found := false
		for _, id := range a.Allowed {
			found = found || id == first.IDs[k]
		}
		if !found {
			t.Fatalf("prefix %d: next id %d not allowed (%s)", k, first.IDs[k], a.Error)
		}
	}
}
