package explore

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds headless Chromium; without it the test is skipped,
// except in CI (CI set), where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set (.ci/run installs it)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// browserWorkflow is a corpus workflow with every kind of id (anchors make
// recalls), or the embedded dump's Go workflow without the shared corpus.
func browserWorkflow(t *testing.T) (string, []byte) {
	for _, f := range []string{"../../shared/corpus/tricky/anchors--real-opendal-ci_bindings_c.yml", "../testdata/dump/acme/cli/.github/workflows/go.yml"} {
		if b, err := os.ReadFile(f); err == nil {
			return f, b
		}
	}
	t.Fatal("no workflow to paste")
	return "", nil
}

// page is what the page shows once it has drawn a workflow.
type page struct {
	IDs    []int32  `json:"ids"`
	Kinds  []string `json:"kinds"`
	Titles []string `json:"titles"`
	Counts []string `json:"counts"`
	Bits   string   `json:"bits"`
	Heat   int      `json:"heat"` // chips shaded by loss
}

const pageJS = `(() => {
	const c = [...document.querySelectorAll('#chips .chip')];
	if (!c.length || document.getElementById('counts').hidden) return null;
	const text = (id) => document.getElementById(id).textContent;
	return {ids: c.map((e) => +e.dataset.id), kinds: c.map((e) => [...e.classList].find((k) => k.startsWith('k-')).slice(2)),
		titles: c.map((e) => e.title), counts: ['count-ids', 'count-json', 'count-yaml'].map(text),
		bits: document.getElementById('bits-box').hidden ? '' : text('count-bits'),
		heat: c.filter((e) => e.style.getPropertyValue('--heat')).length};
})()`

// paste replaces the text of the workflow box as a paste does (an input event).
func paste(text string) chromedp.Action[bool] {
	js, _ := json.Marshal(text)
	return chromedp.Evaluate[bool](`(() => { const t = document.getElementById('src'); t.focus(); t.select();
		return document.execCommand('insertText', false, ` + string(js) + `); })()`)
}

// browse opens the page of s in headless Chromium, pastes src and returns
// what the page drew, then clicks position pos and returns the allowed-ids panel.
func browse(t *testing.T, s *Server, src []byte, pos int, shot string) (page, string) {
	srv := httptest.NewServer(s.Handler()) // a random loopback port
	defer srv.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1440, 900), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	must(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("#src")))
	if ok, err := chromedp.Run(ctx, paste(string(src))); err != nil || !ok {
		t.Fatalf("paste: %v %v", ok, err)
	}
	drawn, err := chromedp.Run(ctx, chromedp.Poll[page](pageJS))
	must(t, err)
	sel := `#chips .chip[data-pos="` + strconv.Itoa(pos) + `"]`
	must(t, chromedp.Do(ctx, chromedp.Click(sel)))
	panel, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelectorAll('#allowed table.choices tr').length > 0 && document.getElementById('allowed').textContent`))
	must(t, err)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, err)
	must(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s", shot)
	// Bad input shows convert's reason.
	if ok, err := chromedp.Run(ctx, paste("on: [push\n")); err != nil || !ok {
		t.Fatalf("paste: %v %v", ok, err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector('#status.error') && document.getElementById('status').textContent`))
	must(t, err)
	if !strings.HasPrefix(msg, "yaml_syntax: ") {
		t.Errorf("bad YAML: the page says %q", msg)
	}
	return drawn, panel
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// screenshot is where a picture of the page goes: the folder
// $EXPLORE_SCREENSHOTS (docs/explore.png is made with
// EXPLORE_SCREENSHOTS=$PWD/docs), else a temporary one.
func screenshot(t *testing.T, name string) string {
	if dir := os.Getenv("EXPLORE_SCREENSHOTS"); dir != "" {
		return filepath.Join(dir, name)
	}
	return filepath.Join(t.TempDir(), name)
}

// In headless Chromium, a pasted corpus workflow shows as one chip per id,
// coloured by kind, with the counts `tct tokenize` gives; clicking an id lists
// the ids the grammar allows there; with a checkpoint the chips are shaded by
// loss and the model ranks the allowed ids.
func TestBrowser(t *testing.T) {
	chromiumPath(t)
	file, src := browserWorkflow(t)
	s := newTestServer(t, "")
	tot, _ := tctTokenize(t, s.an.tok, file)
	d, err := s.an.parse(context.Background(), src, int64(len(src)))
	must(t, err)
	t.Run("tokens", func(t *testing.T) {
		got, panel := browse(t, s, src, 5, screenshot(t, "explore.png"))
		checkPage(t, got, d.ids, tot.Tokens, tot.O200kTokensJSON, tot.O200kTokensYAML)
		if got.Bits != "" || got.Heat != 0 || !strings.Contains(panel, "Position 5: the strict grammar allows ") {
			t.Errorf("without a model: bits %q, %d shaded, panel %q", got.Bits, got.Heat, panel)
		}
	})
	t.Run("loss", func(t *testing.T) {
		m := newTestServer(t, tinyRun(t, s.an.tok, d.ids))
		got, panel := browse(t, m, src, 5, screenshot(t, "explore-loss.png"))
		checkPage(t, got, d.ids, tot.Tokens, tot.O200kTokensJSON, tot.O200kTokensYAML)
		if got.Bits == "" || got.Heat != len(d.ids) || !strings.Contains(panel, "The model puts ") || !strings.Contains(panel, "%") {
			t.Errorf("with a model: bits %q, %d of %d shaded, panel %q", got.Bits, got.Heat, len(d.ids), panel)
		}
	})
}

// checkPage: one chip per id in order, each kind known, a title with its id
// and schema path, and the three counts.
func checkPage(t *testing.T, got page, ids []int32, tokens, o200kJSON, o200kYAML int64) {
	t.Helper()
	if !slices.Equal(got.IDs, ids) || len(got.Kinds) != len(ids) || len(got.Titles) != len(ids) {
		t.Fatalf("the page shows ids %v, want %v", got.IDs, ids)
	}
	kinds := map[string]bool{}
	for i, k := range got.Kinds {
		kinds[k] = true
		if !slices.Contains([]string{"structure", "key", "value", "recall", "merge", "byte"}, k) ||
			!strings.Contains(got.Titles[i], " id "+strconv.Itoa(int(ids[i]))+" ") || !strings.Contains(got.Titles[i], "\npath ") {
			t.Errorf("chip %d: kind %q, title %q", i, k, got.Titles[i])
		}
	}
	if len(kinds) < 4 {
		t.Errorf("kinds shown: %v", kinds)
	}
	want := []string{strconv.FormatInt(tokens, 10), strconv.FormatInt(o200kJSON, 10), strconv.FormatInt(o200kYAML, 10)}
	if !slices.Equal(got.Counts, want) {
		t.Errorf("counts %v, tct tokenize says %v", got.Counts, want)
	}
}
