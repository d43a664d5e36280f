package tokenizer_test

import (
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// Any prefix of a document the strict grammar accepts closes: the completion
// brings the machine to the end of a document, through the strict grammar,
// and is short.
func TestCompletion(t *testing.T) {
	for _, file := range []string{"", "testdata/rich.json"} {
		tok, err := tokenizer.LoadOr(file, configs.Tokenizer)
		if err != nil {
			t.Fatal(err)
		}
		// The closed documents follow the schema the tokenizer was built on.
		schema := compileValidator(t, "completion", tok.Grammar.Schema())
		docs := loadCorpus(t)
		enc := tok.NewEncoder()
		closed, longest := 0, 0
		for i, doc := range docs[:min(len(docs), 400)] {
			ids, _, err := enc.Encode(nil, doc)
			if err != nil {
				t.Fatal(err)
			}
			m := tok.NewMachine(true)
			ok := true
			for _, id := range ids {
				if tok.Advance(m, id) != nil {
					ok = false
					break
				}
			}
			if !ok {
				continue // the document needs a fallback: strict generation never writes it
			}
			for _, k := range []int{1, len(ids) / 3, len(ids) / 2, len(ids) - 1} {
				m := tok.NewMachine(true)
				for _, id := range ids[:k] {
					if err := tok.Advance(m, id); err != nil {
						t.Fatalf("doc %d: %v", i, err)
					}
				}
				before := m.Consumed()
				tail, err := tok.Completion(m)
				if err != nil {
					t.Fatalf("%s doc %d, prefix %d of %d: %v", file, i, k, len(ids), err)
				}
				if m.Consumed() != before {
					t.Fatal("Completion changed the machine")
				}
				for _, id := range tail {
					if err := tok.Advance(m, id); err != nil {
						t.Fatalf("doc %d prefix %d: the completion does not fit: %v", i, k, err)
					}
				}
				if !m.Done() {
					t.Fatalf("doc %d prefix %d: not closed", i, k)
				}
				if validates(schema, m.JSON()) != nil {
					t.Fatalf("doc %d prefix %d: the closed document is not valid under our schema: %s", i, k, m.JSON())
				}
				closed++
				longest = max(longest, len(tail))
			}
		}
		if closed < 400 || longest > 200 {
			t.Errorf("%s: %d prefixes closed, the longest completion %d ids", file, closed, longest)
		}
		t.Logf("%s: %d prefixes closed, the longest completion %d ids", file, closed, longest)
	}
}
