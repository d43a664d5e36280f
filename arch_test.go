package tct_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The import rules of the package map (README): each room knows only what it
// must, and data flows one way.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-json", "./...").Output()
	if err != nil {
		t.Fatal("go list:", err)
	}
	const mod = "github.com/tct-dev/tct/"
	imports := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		imports[strings.TrimPrefix(p.ImportPath, mod)] = p.Imports
	}
	forbidden := func(pkg string, bad func(imp string) bool, why string) {
		t.Helper()
		if _, ok := imports[pkg]; !ok {
			t.Errorf("package %s not found", pkg)
		}
		for _, imp := range imports[pkg] {
			if bad(imp) {
				t.Errorf("%s imports %s: %s", pkg, imp, why)
			}
		}
	}
	ours := func(imp string) bool { return strings.HasPrefix(imp, mod) }
	is := func(names ...string) func(string) bool {
		return func(imp string) bool {
			for _, n := range names {
				if imp == mod+n || strings.HasPrefix(imp, mod+n+"/") {
					return true
				}
			}
			return false
		}
	}
	for pkg := range imports {
		if pkg == "model" || strings.HasPrefix(pkg, "model/") {
			forbidden(pkg, is("shards", "stages", "jobs", "pipeline"), "the model takes batches and tokenizers, not files")
		}
	}
	forbidden("pipeline", func(imp string) bool {
		return ours(imp) || strings.Contains(imp, "progressbar") || strings.Contains(imp, "x/term")
	}, "the generic runtime knows nothing of ours and no UI")
	forbidden("shards", func(imp string) bool { return is("stages", "jobs", "model")(imp) || strings.Contains(imp, "gomlx") },
		"shards know nothing of stages or GoMLX")
	forbidden("tokenizer", func(imp string) bool {
		return is("shards", "stages", "jobs", "model")(imp) || strings.Contains(imp, "parquet")
	},
		"the tokenizer knows nothing of Parquet")
	forbidden("stages", is("jobs", "model"), "stages do not run jobs")
}
