package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
)

func corpusPath(t testing.TB, name string) string {
	p := filepath.Join("..", "..", "shared", "corpus", name)
	if _, err := os.Stat(p); err != nil {
		t.Skip("shared corpus not present:", err)
	}
	return p
}

// runConvert runs the convert stages over inputs and returns the summary and
// the accepted documents' JSON lines.
func runConvert(t testing.TB, cfg ConvertConfig) (*stages.Summary, []byte, []byte) {
	t.Helper()
	var out, rej bytes.Buffer
	p := pipeline.New(context.Background())
	recs, ie, err := Records(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := stages.NewWriter(&out, &rej)
	Drain(p, recs, w)
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(ie.Errs) > 0 {
		t.Fatalf("input errors: %v", ie.Errs)
	}
	return w.Summary, out.Bytes(), rej.Bytes()
}

// The whole corpus in all three dump formats: every record is accounted for,
// every output line is valid JSON, and the three formats give the same documents.
func TestCorpusAllFormats(t *testing.T) {
	formats := []string{"workflows.jsonl.zst", "workflows.parquet", "workflows.tar.zst"}
	docs := map[string]map[string]bool{}
	for _, f := range formats {
		cfg := DefaultConvertConfig()
		cfg.Inputs = []string{corpusPath(t, f)}
		s, out, rej := runConvert(t, cfg)
		if !s.Balanced() {
			t.Fatalf("%s: read %d != written %d + rejected %d + duplicates %d", f, s.Read, s.Written, s.Rejected, s.Duplicates)
		}
		if f != "workflows.tar.zst" && s.Read != 8464 {
			t.Errorf("%s: read %d records, want 8464", f, s.Read)
		}
		if s.Written < 7000 {
			t.Errorf("%s: only %d written", f, s.Written)
		}
		if n := int64(bytes.Count(rej, []byte("\n"))); n != s.Rejected {
			t.Errorf("%s: %d reject lines for %d rejects", f, n, s.Rejected)
		}
		set := map[string]bool{}
		for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
			var rec struct {
				SHA256 string          `json:"sha256"`
				Source string          `json:"source"`
				JSON   json.RawMessage `json:"json"`
			}
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatalf("%s: output line is not JSON: %v", f, err)
			}
			if rec.Source == "" || len(rec.SHA256) != 64 {
				t.Fatalf("%s: origin missing in %.200s", f, line)
			}
			set[rec.SHA256+string(rec.JSON)] = true
		}
		docs[f] = set
		t.Logf("%s: %+v", f, *s)
	}
	a, b, c := docs[formats[0]], docs[formats[1]], docs[formats[2]]
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, c) {
		t.Errorf("formats disagree: %d / %d / %d documents", len(a), len(b), len(c))
	}
}
