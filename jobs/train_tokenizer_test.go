package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// Merge classes end to end on a small dump: the run scripts get a table of
// their own, an id means different text in the two tables, a merge starts
// at the `run` key and runs into the script, and the file keeps it all.
func TestTrainTokenizerClasses(t *testing.T) {
	root := classDump(t)
	cfg := TrainTokenizerConfig{Convert: DefaultConvertConfig(), Schema: configs.WorkflowSchema, Vocab: 1400, Positions: 16,
		Classes: tokenizer.ClassOptions{Max: 3, MinShare: 0.05}}
	cfg.Convert.Inputs = []string{root}
	tok, sum, err := TrainTokenizer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Written != 72 {
		t.Fatalf("written %d of 72", sum.Written)
	}
	if len(tok.Tables) != 3 || tok.Classes[0][0] != runNode {
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
	back := fileRoundTrip(t, tok)
	checkClassRoundTrip(t, back)
	// The same file labelled version 3 (before recall) loads to the same tokenizer.
	cur, _ := tok.Marshal()
	var f3 map[string]json.RawMessage
	must(t, json.Unmarshal(cur, &f3))
	f3["version"] = json.RawMessage("3")
	if v3tok, err := tokenizer.Parse(rawJSON(t, f3)); err != nil || v3tok.Grammar.Recall() != 0 {
		t.Fatalf("version 3 file: %v", err)
	} else if again, _ := v3tok.Marshal(); !bytes.Equal(again, cur) {
		t.Error("the version 3 file loads to another tokenizer")
	}
	// A version 2 file (each class with its table, table 0 at the top) still
	// loads, to the same tokenizer.
	var f map[string]json.RawMessage
	var tables, classes []map[string]json.RawMessage
	must(t, json.Unmarshal(cur, &f))
	must(t, json.Unmarshal(f["tables"], &tables))
	must(t, json.Unmarshal(f["classes"], &classes))
	f["version"] = json.RawMessage("2")
	f["merges"], f["merges_right"] = tables[0]["merges"], tables[0]["merges_right"]
	for i, c := range classes {
		maps.Copy(c, tables[i+1])
	}
	f["classes"] = rawJSON(t, classes)
	delete(f, "tables")
	v2 := rawJSON(t, f)
	old, err := tokenizer.Parse(v2)
	if err != nil {
		t.Fatalf("version 2 file: %v", err)
	}
	if again, _ := old.Marshal(); !bytes.Equal(again, cur) {
		t.Error("the version 2 file loads to another tokenizer")
	}
}

// Lexical states: with two, each class has a table for positions after a
// letter or digit and one for the rest; the same id spells different text
// in the two, and the file keeps the setting.
func TestTrainTokenizerLexStates(t *testing.T) {
	cfg := TrainTokenizerConfig{Convert: DefaultConvertConfig(), Schema: configs.WorkflowSchema, Vocab: 1400, Positions: 16,
		Classes: tokenizer.ClassOptions{Max: 3, MinShare: 0.05, Lex: 2}}
	cfg.Convert.Inputs = []string{classDump(t)}
	tok, _, err := TrainTokenizer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Tables) != 6 || tok.Grammar.Lex() != 2 || tok.Classes[0][0] != runNode {
		t.Fatalf("%d tables, %d lexical states, classes %v; want 6, 2, the run scripts first", len(tok.Tables), tok.Grammar.Lex(), tok.Classes)
	}
	base := tok.Grammar.Size
	start, word := tok.Tables[2], tok.Tables[3] // run scripts: at a value's start or after a space, after a letter
	// After a letter only a byte or END can come, so that table numbers its
	// merges from 257, where the other table has keys and enum values.
	if start.First != base || word.First != 257 || start.Size() <= base || word.Size() <= 257 {
		t.Fatalf("run-script tables: merges from %d and %d, %d and %d ids; want merges from %d and 257",
			start.First, word.First, start.Size(), word.Size(), base)
	}
	if len(start.Expansion(257)) != 1 || len(word.Expansion(257)) < 2 {
		t.Errorf("id 257 spells %v at a value's start and %v after a letter; want a base token, then a merge",
			start.Expansion(257), word.Expansion(257))
	}
	back := fileRoundTrip(t, tok)
	if back.Grammar.Lex() != 2 || len(back.Tables) != 6 {
		t.Fatalf("the file lost the lexical states: %d, %d tables", back.Grammar.Lex(), len(back.Tables))
	}
	checkClassRoundTrip(t, back)
}

// rawJSON marshals v as the tokenizer file does (no HTML escapes).
func rawJSON(t *testing.T, v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	must(t, enc.Encode(v))
	return bytes.TrimSpace(b.Bytes())
}

const runNode = "$.jobs.<^[_a-zA-Z][a-zA-Z0-9_-]*$>.steps[].run"

// classDump writes 72 workflows of 6 repositories whose run scripts repeat.
func classDump(t *testing.T) string {
	t.Helper()
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
	return root
}

// fileRoundTrip writes the tokenizer file and reads it back: same bytes.
func fileRoundTrip(t *testing.T, tok *tokenizer.Tokenizer) *tokenizer.Tokenizer {
	t.Helper()
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
	return back
}

// checkClassRoundTrip encodes a document of the dump's kind: it round-trips
// in few ids.
func checkClassRoundTrip(t *testing.T, back *tokenizer.Tokenizer) {
	t.Helper()
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

// Bad settings are refused before the dump is read (the input here does
// not even exist).
func TestTrainTokenizerBadSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*TrainTokenizerConfig)
		want string
	}{
		{"negative overlearn", func(c *TrainTokenizerConfig) { c.Overlearn = -0.5 }, "--overlearn"},
		{"huge overlearn", func(c *TrainTokenizerConfig) { c.Overlearn = 10 }, "--overlearn"},
		{"too many lexical states", func(c *TrainTokenizerConfig) { c.Classes.Lex = tokenizer.MaxLex + 1 }, "--lex-states"},
		{"negative recall", func(c *TrainTokenizerConfig) { c.Dict.Recall = -1 }, "--recall"},
		{"recall over the ENUM slots", func(c *TrainTokenizerConfig) {
			c.Dict = tokenizer.DefaultDictOptions()
			c.Dict.Recall = c.Dict.EnumSlots
		}, "--recall"},
	} {
		cfg := TrainTokenizerConfig{Convert: DefaultConvertConfig(), Schema: configs.WorkflowSchema, Vocab: 1400, Positions: 16}
		cfg.Convert.Inputs = []string{filepath.Join(t.TempDir(), "missing.jsonl")}
		c.set(&cfg)
		if _, _, err := TrainTokenizer(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error about %s", c.name, err, c.want)
		}
	}
}

// Recall: the trained file keeps its recall slots (file version 4, read
// back the same; a file that says version 3 with recall is refused), the
// learned dictionary leaves them room, and a document that repeats a run
// script and a line encodes them as one id each, round trip exact.
func TestTrainTokenizerRecall(t *testing.T) {
	cfg := TrainTokenizerConfig{Convert: DefaultConvertConfig(), Schema: configs.WorkflowSchema, Vocab: 1400, Positions: 16,
		Dict: tokenizer.DefaultDictOptions()}
	cfg.Dict.Recall, cfg.Dict.MinRepos = 8, 1
	cfg.Convert.Inputs = []string{classDump(t)}
	tok, _, err := TrainTokenizer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	back := fileRoundTrip(t, tok)
	if back.Grammar.Recall() != 8 || back.Dict.Recall != 8 {
		t.Fatalf("recall %d in the grammar, %d in the dictionary; want 8", back.Grammar.Recall(), back.Dict.Recall)
	}
	for path, vals := range back.Dict.Values {
		if len(vals) > cfg.Dict.EnumSlots-8 {
			t.Errorf("%s: %d dictionary values leave no room for 8 recall slots", path, len(vals))
		}
	}
	b, _ := back.Marshal()
	var f map[string]json.RawMessage
	must(t, json.Unmarshal(b, &f))
	f["version"] = json.RawMessage("3")
	if _, err := tokenizer.Parse(rawJSON(t, f)); err == nil || !strings.Contains(err.Error(), "recall") {
		t.Errorf("a version 3 file with recall slots: %v", err)
	}

	script := `set -euo pipefail\nexport PATH=$HOME/tools/bin:$PATH\nmake check-formatting\n`
	doc := `{"on":"push","jobs":{"a":{"runs-on":"x","steps":[{"run":"` + script + `"}]},` +
		`"b":{"runs-on":"x","steps":[{"run":"` + script + `"},{"run":"cd docs\nexport PATH=$HOME/tools/bin:$PATH\nmake html\n"}]}}}`
	ids, st, err := back.NewEncoder().Encode(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if st.Recalled != 3 {
		t.Errorf("%d values or lines recalled, want 3 (job b's runs-on and script, the PATH line)", st.Recalled)
	}
	out, n, err := back.Decode(ids)
	if err != nil || n != len(ids) || string(out) != doc {
		t.Fatalf("round trip: %v, %d of %d ids\n%s", err, n, len(ids), out)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
