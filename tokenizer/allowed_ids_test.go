package tokenizer_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// AllowedIDs agrees with trying every id's expansion, at states along real
// documents; and it is fast enough to mask logits at every generated token.
func TestAllowedIDs(t *testing.T) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	docs := loadCorpus(t)
	rng := rand.New(rand.NewPCG(5, 6))
	enc := tok.NewEncoder()
	var elapsed time.Duration
	calls := 0
	for trial := 0; trial < 12; trial++ {
		ids, _, err := enc.Encode(nil, docs[rng.IntN(len(docs))])
		if err != nil {
			t.Fatal(err)
		}
		for _, strict := range []bool{false, true} {
			m := tok.Grammar.NewMachine(strict)
			cut := rng.IntN(len(ids))
			for _, id := range ids[:cut] {
				if err := tok.Advance(m, id); err != nil {
					if strict {
						goto next // the document uses a fallback: no strict state here
					}
					t.Fatal(err)
				}
			}
			{
				start := time.Now()
				got := tok.AllowedIDs(m)
				elapsed += time.Since(start)
				calls++
				if !got.Has(tokenizer.Token(ids[cut])) && !strict {
					t.Fatalf("the document's own next id %d is not allowed", ids[cut])
				}
				for id := 0; id < tok.Layout.Content; id++ {
					ok := tok.Advance(m.Clone(), int32(id)) == nil
					if ok != got.Has(tokenizer.Token(id)) {
						t.Fatalf("id %d (%v): brute force %v, AllowedIDs %v", id, tok.Expansion(m, int32(id)), ok, !ok)
					}
				}
			}
		next:
		}
	}
	t.Logf("AllowedIDs: %d calls, %v each on average", calls, elapsed/time.Duration(max(calls, 1)))
}

func BenchmarkAllowedIDs(b *testing.B) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		b.Fatal(err)
	}
	docs := loadCorpus(b)
	enc := tok.NewEncoder()
	var states []*tokenizer.Machine
	for i := 0; i < 40; i++ {
		ids, _, _ := enc.Encode(nil, docs[i*7])
		m := tok.Grammar.NewMachine(false)
		for _, id := range ids[:len(ids)/2] {
			tok.Advance(m, id)
		}
		states = append(states, m)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tok.AllowedIDs(states[i%len(states)])
	}
}

// At every state of the first ids of real documents under the strict
// grammar (keys of jobs included: pattern keys spelled byte by byte),
// AllowedIDs, cached or not, agrees with trying every id.
func TestAllowedIDsStrictPrefixes(t *testing.T) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	docs := loadCorpus(t)
	enc := tok.NewEncoder()
	checked := 0
	for _, doc := range []([]byte){docs[3], docs[11]} {
		ids, _, err := enc.Encode(nil, doc)
		if err != nil {
			t.Fatal(err)
		}
		m := tok.NewMachine(true)
		for i, id := range ids[:min(len(ids), 40)] {
			for pass := 0; pass < 2; pass++ { // computed, then from the cache
				got := tok.AllowedIDs(m)
				for c := 0; c < tok.Layout.Content; c++ {
					if ok := tok.Advance(m.Clone(), int32(c)) == nil; ok != got.Has(tokenizer.Token(c)) {
						t.Fatalf("position %d (pass %d), id %d: brute force %v, AllowedIDs %v", i, pass, c, ok, !ok)
					}
				}
			}
			checked++
			if err := tok.Advance(m, id); err != nil {
				break // a fallback: no strict state after it
			}
		}
	}
	if checked < 40 {
		t.Errorf("%d states checked", checked)
	}
}
