package bench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// corpusJSONDocs converts the corpus once: the canonical JSON every
// tokenizer benchmark encodes.
var corpusJSONDocs = sync.OnceValue(func() [][]byte {
	docs, err := corpusDocs()
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, d := range docs {
		if j, err := stages.YAMLToJSON(nil, d, stages.DefaultConvertLimits()); err == nil {
			out = append(out, j)
		}
	}
	return out
})

func jsonDocs(b *testing.B) ([][]byte, int64) {
	docs := corpusJSONDocs()
	if len(docs) == 0 {
		b.Skip("shared corpus not available")
	}
	var n int64
	for _, d := range docs {
		n += int64(len(d))
	}
	return docs, n
}

func shippedTokenizer(b *testing.B) *tokenizer.Tokenizer {
	t, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkTokenize: encode throughput on canonical JSON, one core, ours
// (base layer alone, and with dictionary + merges) beside o200k_base.
func BenchmarkTokenize(b *testing.B) {
	docs, total := jsonDocs(b)
	tok := shippedTokenizer(b)
	b.Run("tct-base", func(b *testing.B) {
		b.SetBytes(total)
		var toks []tokenizer.Token
		n := 0
		for b.Loop() {
			for _, d := range docs {
				toks, _, _ = tok.Grammar.Encode(toks[:0], d)
				n += len(toks)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("tct", func(b *testing.B) {
		b.SetBytes(total)
		enc := tok.NewEncoder()
		var ids []int32
		n := 0
		for b.Loop() {
			for _, d := range docs {
				ids, _, _ = enc.Encode(ids[:0], d)
				n += len(ids)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("tct-decode", func(b *testing.B) {
		enc := tok.NewEncoder()
		all := make([][]int32, len(docs))
		for i, d := range docs {
			all[i], _, _ = enc.Encode(nil, d)
		}
		b.SetBytes(total)
		n := 0
		b.ResetTimer()
		for b.Loop() {
			for _, ids := range all {
				if _, _, err := tok.Decode(ids); err != nil {
					b.Fatal(err)
				}
				n += len(ids)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("o200k-tiktoken-go", func(b *testing.B) {
		codec, err := tiktoken.Get(tiktoken.O200kBase)
		if err != nil {
			b.Fatal(err)
		}
		sub := docs[:len(docs)/10] // about 1/10 of the corpus: o200k in Go is slow
		var bytes int64
		for _, d := range sub {
			bytes += int64(len(d))
		}
		b.SetBytes(bytes)
		n := 0
		for b.Loop() {
			for _, d := range sub {
				ids, _, _ := codec.Encode(string(d))
				n += len(ids)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// BenchmarkTokenizeAllCores: the same encoders on all cores (one encoder
// per goroutine, documents dealt out in turn), beside o200k on all cores.
func BenchmarkTokenizeAllCores(b *testing.B) {
	docs, total := jsonDocs(b)
	tok := shippedTokenizer(b)
	codec, err := tiktoken.Get(tiktoken.O200kBase)
	if err != nil {
		b.Fatal(err)
	}
	sub := docs[:len(docs)/10]
	var subBytes int64
	for _, d := range sub {
		subBytes += int64(len(d))
	}
	for _, c := range []struct {
		name   string
		docs   [][]byte
		bytes  int64
		encode func() func(doc []byte) int
	}{
		{"tct", docs, total, func() func([]byte) int {
			enc := tok.NewEncoder()
			var ids []int32
			return func(d []byte) int { ids, _, _ = enc.Encode(ids[:0], d); return len(ids) }
		}},
		{"o200k-tiktoken-go", sub, subBytes, func() func([]byte) int {
			return func(d []byte) int { ids, _, _ := codec.Encode(string(d)); return len(ids) }
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(c.bytes)
			var tokens atomic.Int64
			for b.Loop() {
				var next atomic.Int64
				var wg sync.WaitGroup
				for range runtime.GOMAXPROCS(0) {
					wg.Go(func() {
						encode := c.encode()
						n := 0
						for i := next.Add(1) - 1; i < int64(len(c.docs)); i = next.Add(1) - 1 {
							n += encode(c.docs[i])
						}
						tokens.Add(int64(n))
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(tokens.Load())/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
