package tokenizer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// corpusJSON is every converted document of the shared corpus, as canonical JSON.
var corpusJSON = sync.OnceValues(func() ([][]byte, error) {
	path := filepath.Join("..", "..", "shared", "corpus", "workflows.jsonl.zst")
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	d, err := stages.OpenDump(path, stages.DefaultReadOptions())
	if err != nil {
		return nil, err
	}
	var docs [][]byte
	err = d.Records(context.Background(), func(r *stages.Record) error {
		if r.Reject != nil {
			return nil
		}
		if j, err := stages.YAMLToJSON(nil, r.Content, stages.DefaultConvertLimits()); err == nil {
			docs = append(docs, j)
		}
		return nil
	})
	return docs, err
})

func loadCorpus(t testing.TB) [][]byte {
	docs, err := corpusJSON()
	if err != nil {
		t.Skip("shared corpus not available:", err)
	}
	return docs
}

func loadGrammar(t testing.TB, path string) *tokenizer.Grammar {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Skip(err)
	}
	g, err := tokenizer.CompileSchema(src)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

var schemas = map[string]string{
	"ours":        filepath.Join("..", "configs", "workflow.schema.json"),
	"schemastore": filepath.Join("..", "..", "shared", "schemas", "github-workflow.json"),
}

// Every converted document of the corpus round-trips byte for byte, under
// our schema and under SchemaStore's.
func TestCorpusRoundTrip(t *testing.T) {
	docs := loadCorpus(t)
	for name, path := range schemas {
		t.Run(name, func(t *testing.T) {
			g := loadGrammar(t, path)
			var total tokenizer.Stats
			var toks []tokenizer.Token
			nTok, nBytes := 0, 0
			for i, doc := range docs {
				var st tokenizer.Stats
				var err error
				toks, st, err = g.Encode(toks[:0], doc)
				if err != nil {
					t.Fatalf("doc %d: encode: %v", i, err)
				}
				total.Add(st)
				out, consumed, err := g.Decode(toks)
				if err != nil || consumed != len(toks) || !bytes.Equal(out, doc) {
					t.Fatalf("doc %d: round trip failed (consumed %d of %d, err %v)\n in %.300s\nout %.300s", i, consumed, len(toks), err, doc, out)
				}
				nTok += len(toks)
				nBytes += len(doc)
			}
			t.Logf("%s: alphabet %d (keys %d, enums %d); %d docs, %d bytes, %d base tokens (%.2f bytes/token); values %d, fallback %d (%.2f%%), escapes %d, keys known %d other %d off-schema %d",
				name, g.Size, g.MaxKeys, g.MaxEnum, len(docs), nBytes, nTok, float64(nBytes)/float64(nTok),
				total.Values, total.Fallback, 100*float64(total.Fallback)/float64(total.Values), total.Escapes, total.KnownKeys, total.OtherKeys, total.OffSchema)
			if g.Size > tokenizer.MaxAlphabet {
				t.Errorf("alphabet %d > %d", g.Size, tokenizer.MaxAlphabet)
			}
		})
	}
}

// The encoder's merge class of every base token is the class the machine
// reads from its state before that token: decoding picks the table the
// encoder picked. Checked on every document under the rich tokenizer.
func TestClassAgreement(t *testing.T) {
	tok, err := tokenizer.Load("testdata/rich.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Tables) < 2 {
		t.Fatalf("the shipped tokenizer has %d merge tables; want classes", len(tok.Tables))
	}
	docs := loadCorpus(t)
	seen := map[uint8]int{}
	for di, doc := range docs {
		enc, err := tok.Grammar.EncodeClassed(tokenizer.Classed{}, doc)
		toks, cls := enc.Tokens, enc.Classes
		if err != nil {
			t.Fatal(err)
		}
		m := tok.Grammar.NewMachine(false)
		for i, b := range toks {
			if c := tokenizer.MachineClass(m); c != cls[i] {
				t.Fatalf("doc %d, token %d: machine class %d, encoder class %d", di, i, c, cls[i])
			}
			seen[cls[i]]++
			if err := m.Advance(b); err != nil {
				t.Fatalf("doc %d, token %d: %v", di, i, err)
			}
		}
	}
	if len(seen) != len(tok.Tables) {
		t.Errorf("tokens in %d classes, the tokenizer has %d", len(seen), len(tok.Tables))
	}
}
