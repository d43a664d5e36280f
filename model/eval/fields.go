package eval

import (
	"encoding/json"
	"math"
	"strings"
)

// Distributions are histograms of a few fields over a set of workflows.
type Distributions map[string]map[string]float64

// FieldDistributions counts actions (steps[].uses without the version),
// runners (runs-on strings) and triggers (the events of `on`).
func FieldDistributions(docs [][]byte) Distributions {
	out := Distributions{"uses": {}, "runs-on": {}, "on": {}}
	for _, d := range docs {
		var w map[string]any
		if json.Unmarshal(d, &w) != nil {
			continue
		}
		countTriggers(out["on"], w["on"])
		jobs, _ := w["jobs"].(map[string]any)
		for _, j := range jobs {
			job, _ := j.(map[string]any)
			if r, ok := job["runs-on"].(string); ok {
				out["runs-on"][r]++
			}
			steps, _ := job["steps"].([]any)
			for _, s := range steps {
				step, _ := s.(map[string]any)
				if u, ok := step["uses"].(string); ok {
					action, _, _ := strings.Cut(u, "@")
					out["uses"][action]++
				}
			}
		}
	}
	return out
}

// countTriggers counts the events of `on` (a string, a list or a map).
func countTriggers(h map[string]float64, on any) {
	switch on := on.(type) {
	case string:
		h[on]++
	case []any:
		for _, e := range on {
			if s, ok := e.(string); ok {
				h[s]++
			}
		}
	case map[string]any:
		for e := range on {
			h[e]++
		}
	}
}

// TVDistance is half the L1 distance between two normalised histograms
// (1 when either side is empty).
func TVDistance(p, q map[string]float64) float64 {
	var sp, sq float64
	for _, v := range p {
		sp += v
	}
	for _, v := range q {
		sq += v
	}
	if sp == 0 || sq == 0 {
		return 1
	}
	var d float64
	for k, v := range p {
		d += math.Abs(v/sp - q[k]/sq)
	}
	for k, v := range q {
		if _, ok := p[k]; !ok {
			d += v / sq
		}
	}
	return d / 2
}
