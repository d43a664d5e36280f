package jobs

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// MaskBench is what `tct bench mask` measures: the time to compute the
// allowed next ids (Tokenizer.AllowedIDs) at the states of every prefix of
// the documents, under the strict grammar that constrained generation uses.
type MaskBench struct {
	Documents int     `json:"documents"`
	Skipped   int     `json:"skipped"` // documents the strict grammar refuses (they need a fallback)
	States    int     `json:"states"`
	MedianUS  float64 `json:"median_us"`
	P90US     float64 `json:"p90_us"`
	P99US     float64 `json:"p99_us"`
	MeanUS    float64 `json:"mean_us"`
	Tokenizer string  `json:"tokenizer"`
}

// BenchMask times AllowedIDs at every prefix of the documents, up to
// maxStates states (0: all).
func BenchMask(ctx context.Context, cfg ConvertConfig, tokPath string, maxStates int) (*MaskBench, error) {
	tok, err := LoadTokenizer(tokPath)
	if err != nil {
		return nil, err
	}
	docs, err := CollectJSON(ctx, cfg)
	if err != nil {
		return nil, err
	}
	r := &MaskBench{Tokenizer: tok.Fingerprint}
	var times []time.Duration
	enc := tok.NewEncoder()
	for _, doc := range docs {
		if maxStates > 0 && len(times) >= maxStates || ctx.Err() != nil {
			break
		}
		ids, _, err := enc.Encode(nil, doc)
		if err != nil {
			return nil, err
		}
		m := tok.NewMachine(true)
		var doc []time.Duration
		for _, id := range ids {
			start := time.Now()
			tok.AllowedIDs(m)
			doc = append(doc, time.Since(start))
			if tok.Advance(m, id) != nil {
				doc = nil // the strict grammar refuses this document
				break
			}
		}
		if doc == nil {
			r.Skipped++
			continue
		}
		r.Documents++
		times = append(times, doc...)
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("no document the strict grammar accepts")
	}
	r.States = len(times)
	var sum time.Duration
	for _, d := range times {
		sum += d
	}
	slices.Sort(times)
	us := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))].Nanoseconds()) / 1e3 }
	r.MedianUS, r.P90US, r.P99US = us(0.5), us(0.9), us(0.99)
	r.MeanUS = float64(sum.Nanoseconds()) / 1e3 / float64(len(times))
	return r, nil
}
