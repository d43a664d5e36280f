package jobs

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/tct-dev/tct/tokenizer"
)

// VsBench is o200k_base (tiktoken-go) timed on the same canonical JSON
// documents in the same run, beside our encoder on all cores.
type VsBench struct {
	Name               string  `json:"name"`
	MBPerS             float64 `json:"mb_per_s"`                // one core
	AllCoresMBPerS     float64 `json:"all_cores_mb_per_s"`      // a codec per core
	Tokens             int64   `json:"tokens"`                  // of one pass
	OursAllCoresMBPerS float64 `json:"ours_all_cores_mb_per_s"` // our encoder, an encoder per core
	Cores              int     `json:"cores"`
}

// benchVs times o200k on one core and on all cores, and our encoder on all cores.
func benchVs(vs string, t *tokenizer.Tokenizer, docs [][]byte, bytes int64, passes int) (*VsBench, error) {
	if vs != "o200k" {
		return nil, fmt.Errorf("--vs %q: only o200k is known", vs)
	}
	codec, err := tiktoken.Get(tiktoken.O200kBase)
	if err != nil {
		return nil, err
	}
	count := func() func([]byte) int {
		return func(d []byte) int { n, _ := codec.Count(string(d)); return n }
	}
	ours := func() func([]byte) int { return counting(t.NewEncoder()) }
	r := &VsBench{Name: "o200k_base (tiktoken-go)", Cores: runtime.GOMAXPROCS(0)}
	one := timePasses(docs, passes, 1, count)
	r.Tokens = one.tokens / int64(passes)
	r.MBPerS = one.mbPerS(bytes, passes)
	r.AllCoresMBPerS = timePasses(docs, passes, r.Cores, count).mbPerS(bytes, passes)
	r.OursAllCoresMBPerS = timePasses(docs, passes, r.Cores, ours).mbPerS(bytes, passes)
	return r, nil
}

// counting encodes a document with enc and says how many ids it took.
func counting(enc *tokenizer.Encoder) func([]byte) int {
	var buf []int32
	return func(d []byte) int {
		buf, _, _ = enc.Encode(buf[:0], d)
		return len(buf)
	}
}

type timing struct {
	tokens int64
	secs   float64
}

func (t timing) mbPerS(bytes int64, passes int) float64 {
	return float64(passes) * float64(bytes) / 1e6 / t.secs
}

// timePasses runs passes over docs on workers goroutines, each with its own
// encoder from newEnc, documents dealt round-robin.
func timePasses(docs [][]byte, passes, workers int, newEnc func() func([]byte) int) timing {
	encs := make([]func([]byte) int, workers)
	for i := range encs {
		encs[i] = newEnc()
	}
	counts := make([]int64, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range passes {
				for i := w; i < len(docs); i += workers {
					counts[w] += int64(encs[w](docs[i]))
				}
			}
		}()
	}
	wg.Wait()
	var n int64
	for _, c := range counts {
		n += c
	}
	return timing{tokens: n, secs: time.Since(start).Seconds()}
}
