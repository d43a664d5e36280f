package stages

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// Merge classes end to end on a small dump: the run scripts get a table of
// their own, an id means different text in the two tables, a merge starts
// at the `run` key and runs into the script, and the file keeps it all.
func TestTrainTokenizerClasses(t *testing.T) {
	root := t.TempDir()
	scripts := []string{"npm ci && npm test", "go test ./... -race", "pip install -r requirements.txt"}
	for r := range 6 {
		for i := range 12 {
			dir := filepath.Join(root, fmt.Sprintf("owner%d", r), "repo", ".github", "workflows")
			must(t, os.MkdirAll(dir, 0o755))
			doc := fmt.Sprintf("name: build %d\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - name: step %d of the build\n        run: %s\n      - run: echo done %d\n",
				i, r, scripts[(r+i)%len(scripts)], i)
			must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("w%d.yml", i)), []byte(doc), 0o644))
		}
	}
	cfg := TrainConfig{Convert: DefaultConvertConfig(), Schema: configs.WorkflowSchema, Vocab: 1400, Positions: 16,
		Classes: tokenizer.ClassOptions{Max: 3, MinShare: 0.05}}
	cfg.Convert.Inputs = []string{root}
	tok, sum, err := TrainTokenizer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Written != 72 {
		t.Fatalf("written %d of 72", sum.Written)
	}
	if len(tok.Tables) != 3 || tok.Classes[0][0] != "$.jobs.<^[_a-zA-Z][a-zA-Z0-9_-]*$>.steps[].run" {
		t.Fatalf("classes %v (%d tables); want the run scripts first", tok.Classes, len(tok.Tables))
	}
	base := int32(tok.Grammar.Size)
	t0, t1 := tok.Tables[0], tok.Tables[1]
	if t0.Size() <= int(base) || t1.Size() <= int(base) {
		t.Fatalf("tables of %d and %d ids: no merges", t0.Size(), t1.Size())
	}
	if bytes.Equal(tokenString(t0.Expansion(base)), tokenString(t1.Expansion(base))) {
		t.Errorf("id %d spells the same in tables 0 and 1", base)
	}
	cross := false
	for _, r := range t0.Right {
		cross = cross || r == 1
	}
	if !cross {
		t.Error("no merge of table 0 runs into a run script")
	}
	b, err := tok.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := tokenizer.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := back.Marshal()
	if !bytes.Equal(b, b2) {
		t.Fatal("the tokenizer file does not survive Parse and Marshal")
	}
	doc := []byte(`{"jobs":{"test":{"runs-on":"ubuntu-latest","steps":[{"run":"npm ci && npm test"},{"name":"step 9 of the build","run":"go test ./... -race"}]}},"name":"build 3","on":"push"}`)
	ids, _, err := back.NewEncoder().Encode(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	out, n, err := back.Decode(ids)
	if err != nil || n != len(ids) || !bytes.Equal(out, doc) {
		t.Fatalf("round trip: %s, %d of %d ids, %v", out, n, len(ids), err)
	}
	baseToks, _, _ := back.Grammar.Encode(nil, doc)
	if len(ids)*5 > len(baseToks) {
		t.Errorf("%d ids for %d base tokens of familiar text; want at most a fifth", len(ids), len(baseToks))
	}
}

func tokenString(toks []tokenizer.Token) []byte {
	var b []byte
	for _, t := range toks {
		b = append(b, byte(t>>8), byte(t))
	}
	return b
}
