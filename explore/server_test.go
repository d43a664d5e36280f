package explore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// workflowFiles are the embedded dump's workflow files, plus the shared
// tricky set (anchors, BOMs, CRLF, broken YAML...) when it is there.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../testdata/dump", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tricky, _ := filepath.Glob("../../shared/corpus/tricky/*.y*ml")
	return append(files, tricky...)
}

// tctTokenize counts one file the way `tct tokenize FILE --vs o200k` does
// (jobs.Tokenize), with the convert summary of the same file.
func tctTokenize(t *testing.T, tok *tokenizer.Tokenizer, file string) (jobs.TokenizeTotals, *stages.Summary) {
	t.Helper()
	cfg := jobs.DefaultConvertConfig()
	cfg.PathPattern = "" // as tokenize: a file named on the command line is a workflow
	cfg.Inputs = []string{file}
	sum, err := jobs.RunWith(context.Background(), cfg, &stages.Tokenize{Tok: tok}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := jobs.Tokenize(context.Background(), jobs.TokenizeConfig{Convert: cfg, Tok: tok, Vs: "o200k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep.TokenizeTotals, sum
}

func newTestServer(t *testing.T, checkpoint string) *Server {
	t.Helper()
	s, err := New(Config{Checkpoint: checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// post sends body to path and decodes the JSON answer into out.
func post(t *testing.T, h http.Handler, path string, body []byte, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, rec.Body.String())
	}
	return rec.Code
}

// The API counts what `tct tokenize` counts, file by file, and rejects what
// convert rejects with the same reason.
func TestTokenizeCountsLikeTctTokenize(t *testing.T) {
	s := newTestServer(t, "")
	h := s.Handler()
	files := workflowFiles(t)
	var ok, bad int
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tot, sum := tctTokenize(t, s.an.tok, f)
		var res Result
		var rej map[string]string
		if sum.Rejected > 0 {
			bad++
			if code := post(t, h, "/api/tokenize", src, &rej); code != http.StatusBadRequest || sum.RejectedByReason[rej["reason"]] != 1 || rej["error"] == "" {
				t.Errorf("%s: %d %v; convert rejects it: %v", f, code, rej, sum.RejectedByReason)
			}
			continue
		}
		ok++
		if code := post(t, h, "/api/tokenize", src, &res); code != http.StatusOK {
			t.Fatalf("%s: status %d", f, code)
		}
		if int64(res.Count) != tot.Tokens || len(res.Tokens) != res.Count || int64(res.O200kJSON) != tot.O200kTokensJSON || int64(res.O200kYAML) != tot.O200kTokensYAML {
			t.Errorf("%s: count %d (%d tokens), o200k %d/%d; tct tokenize: %d, o200k %d/%d", f, res.Count, len(res.Tokens),
				res.O200kJSON, res.O200kYAML, tot.Tokens, tot.O200kTokensJSON, tot.O200kTokensYAML)
		}
		checkTokens(t, f, src, res)
	}
	if ok < 5 || bad < 1 {
		t.Errorf("%d workflows, %d rejected: want both kinds", ok, bad)
	}
}

// checkTokens: the token texts spell the canonical JSON, every token has a
// kind (off-schema values have no schema path).
func checkTokens(t *testing.T, f string, src []byte, res Result) {
	t.Helper()
	want, err := stages.YAMLToJSON(nil, src, stages.DefaultConvertLimits())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	split, n := false, 0
	for _, tk := range res.Tokens {
		b.WriteString(tk.Text)
		split = split || tk.Split
		n += tk.Bytes
		if tk.Kind == "" || tk.Bits != nil || !utf8.ValidString(tk.Text) || tk.Split != strings.Contains(tk.Text, `\x`) {
			t.Fatalf("%s: token %+v", f, tk)
		}
	}
	if n != len(want) || res.BytesJSON != len(want) || res.BytesYAML != len(src) {
		t.Errorf("%s: the tokens stand for %d bytes, want %d", f, n, len(want))
	}
	if !split && b.String() != string(want) {
		t.Errorf("%s: the texts spell %q, want %q", f, b.String(), want)
	}
	if y := strings.Join(res.O200kTextY, ""); !strings.Contains(y, `\x`) && y != string(src) { // \x: a split character
		t.Errorf("%s: the o200k tokens do not spell the YAML", f)
	}
}

func TestBadInput(t *testing.T) {
	h := newTestServer(t, "").Handler()
	big := append([]byte("on: push\njobs: {}\n# "), bytes.Repeat([]byte("x"), 1<<20)...)
	for _, c := range []struct{ body, reason string }{
		{"on: [push\n", stages.ReasonYAMLSyntax},
		{"name: no on, no jobs\n", stages.ReasonNotWorkflow},
		{"- a list\n", stages.ReasonNotWorkflow},
		{"", stages.ReasonEmpty},
		{"on: push\n---\njobs: {}\n", stages.ReasonMultiDocument},
		{string(big), stages.ReasonTooLarge},
	} {
		var rej map[string]string
		if code := post(t, h, "/api/tokenize", []byte(c.body), &rej); code != http.StatusBadRequest || rej["reason"] != c.reason || !strings.HasPrefix(rej["error"], c.reason+": ") {
			t.Errorf("%.30q: %d %v, want 400 %s", c.body, code, rej, c.reason)
		}
	}
	var res Result // JSON is YAML too
	if code := post(t, h, "/api/tokenize", []byte(`{"on":"push","jobs":{}}`), &res); code != http.StatusOK || res.Count == 0 {
		t.Errorf("a JSON workflow: %d %+v", code, res)
	}
	var rej map[string]string
	if code := post(t, h, "/api/loss", []byte("on: push\njobs: {}\n"), &rej); code != http.StatusBadRequest || !strings.Contains(rej["error"], "--checkpoint") {
		t.Errorf("/api/loss without a model: %d %v", code, rej)
	}
}

// At every position the grammar allows the id the document has there.
func TestAllowedWithoutModel(t *testing.T) {
	s := newTestServer(t, "")
	src, err := os.ReadFile("../testdata/dump/acme/webapp/.github/workflows/ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.an.parse(context.Background(), src, int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	for pos := range d.ids {
		m, strict := prefixMachine(s.an.tok, d.ids[:pos])
		if !strict || !s.an.tok.AllowedIDs(m).Has(tokenizer.Token(d.ids[pos])) {
			t.Fatalf("position %d: id %d not allowed (strict %v)", pos, d.ids[pos], strict)
		}
	}
	var a Allowed
	if code := post(t, s.Handler(), "/api/allowed?pos=3", src, &a); code != http.StatusOK || a.Pos != 3 || a.Actual.ID != d.ids[3] ||
		a.Count == 0 || len(a.Choices) == 0 || a.Model || a.Mass != nil || a.Choices[0].Text == "" {
		t.Errorf("/api/allowed: %d %+v", code, a)
	}
	var rej map[string]string
	if code := post(t, s.Handler(), "/api/allowed?pos=100000", src, &rej); code != http.StatusBadRequest || rej["error"] == "" {
		t.Errorf("a position past the end: %d %v", code, rej)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// The page and its assets come from the binary.
func TestAssets(t *testing.T) {
	srv := httptest.NewServer(newTestServer(t, "").Handler())
	defer srv.Close()
	for path, want := range map[string]string{"/": "<title>tct explore</title>", "/app.js": "/api/tokenize", "/style.css": ".chip"} {
		if b := get(t, srv.URL+path); !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s does not contain %q", path, want)
		}
	}
	var info map[string]any
	if err := json.Unmarshal(get(t, srv.URL+"/api/info"), &info); err != nil || info["model"] != false {
		t.Errorf("/api/info: %v %v", info, err)
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Serve listens on a free loopback port, says where, serves the page and
// stops when its context ends.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Config{Addr: "127.0.0.1:0"}, w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, r) //nolint:errcheck
	url := strings.TrimSpace(line[strings.Index(line, "http://"):])
	if b := get(t, url); !bytes.Contains(b, []byte("tct explore")) {
		t.Errorf("GET %s: %.80s", url, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// Requests may come at once: the tokenizer, o200k and the allowed ids are shared.
func TestConcurrentRequests(t *testing.T) {
	s := newTestServer(t, "")
	h := s.Handler()
	src, err := os.ReadFile("../testdata/dump/acme/cli/.github/workflows/go.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			path := "/api/tokenize"
			if i%2 == 1 {
				path = "/api/allowed?pos=" + strconv.Itoa(i)
			}
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(src)))
			if rec.Code != http.StatusOK {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
			}
		})
	}
	wg.Wait()
}
