package tokenizer_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// Strict documents are valid where GitHub reads them: every complete strict
// random walk under our grammar validates under SchemaStore's workflow
// schema with the independent validator. A failure lists the error classes.
func TestStrictWalksValidUnderSchemaStore(t *testing.T) {
	src, err := os.ReadFile(schemas["schemastore"])
	if err != nil {
		t.Skip("SchemaStore's schema not available:", err)
	}
	g := realGrammar(t, schemas["ours"])
	ss := compileValidator(t, "schemastore", src)
	rng := rand.New(rand.NewPCG(7, 7))
	counts := map[string]int{}
	example := map[string]string{}
	leaf := regexp.MustCompile(`/[0-9]+(/|$)`)
	job := regexp.MustCompile(`'/jobs/[^/']+`)
	docs, valid := 0, 0
	for attempts := 0; docs < 200 && attempts < 2000; attempts++ {
		r := randomWalk(t, g, rng, walkOpts{strict: true, maxSteps: 3000})
		if !r.done {
			continue
		}
		docs++
		err := validates(ss, r.m.JSON())
		if err == nil {
			valid++
			continue
		}
		for _, line := range strings.Split(fmt.Sprint(err), "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "- at") {
				key := job.ReplaceAllString(leaf.ReplaceAllString(line, "/N$1"), "'/jobs/J")
				counts[key]++
				if _, ok := example[key]; !ok {
					example[key] = string(r.m.JSON())
				}
			}
		}
	}
	if docs < 200 {
		t.Errorf("only %d complete strict walks", docs)
	}
	if valid == docs {
		return
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	t.Errorf("%d of %d strict walks are not valid under SchemaStore's schema", docs-valid, docs)
	for _, k := range keys[:min(20, len(keys))] {
		t.Logf("%4d %s\n     e.g. %.400s", counts[k], k, example[k])
	}
}

// Inside strings that must hold an expression, AllowedIDs agrees with
// trying every id (a merged id must keep the string able to match).
func TestAllowedIDsUnderPatterns(t *testing.T) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	docs := loadCorpus(t)
	enc := tok.NewEncoder()
	// Keys whose string values must hold or contain an expression.
	inExpr := regexp.MustCompile(`"(timeout-minutes|continue-on-error|matrix|include|exclude|env|with|cancel-in-progress|deployment)":"[^"]*$`)
	states := 0
	var elapsed time.Duration
	for _, doc := range docs {
		if states >= 12 {
			break
		}
		if !bytes.Contains(doc, []byte(`:"${{`)) {
			continue
		}
		ids, _, err := enc.Encode(nil, doc)
		if err != nil {
			t.Fatal(err)
		}
		m := tok.NewMachine(true)
		for _, id := range ids {
			if tok.Advance(m, id) != nil {
				break // the document is not strictly valid
			}
			out := m.JSON()
			if m.Done() || !inExpr.Match(out) {
				continue
			}
			start := time.Now()
			got := tok.AllowedIDs(m)
			elapsed += time.Since(start)
			for id := 0; id < tok.Layout.Content; id++ {
				if ok := tok.Advance(m.Clone(), int32(id)) == nil; ok != got.Has(tokenizer.Token(id)) {
					t.Fatalf("after %q: id %d (%v): brute force %v, AllowedIDs %v", out, id, tok.Expansion(m, int32(id)), ok, !ok)
				}
			}
			states++
			break
		}
	}
	if states == 0 {
		t.Fatal("no state inside an expression string found")
	}
	t.Logf("%d states, AllowedIDs %v each on average", states, elapsed/time.Duration(states))
}
