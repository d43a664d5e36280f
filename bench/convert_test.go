package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/jobs"
	"github.com/tct-dev/tct/stages"
)

// corpusDocs loads the YAML files of the shared corpus once.
var corpusDocs = sync.OnceValues(func() ([][]byte, error) {
	path := filepath.Join("..", "..", "shared", "corpus", "workflows.jsonl.zst")
	if p := os.Getenv("TCT_CORPUS"); p != "" {
		path = p
	}
	d, err := stages.OpenDump(path, stages.DefaultReadOptions())
	if err != nil {
		return nil, err
	}
	var docs [][]byte
	err = d.Records(context.Background(), func(r *stages.Record) error {
		if r.Reject == nil {
			docs = append(docs, r.Content)
		}
		return nil
	})
	return docs, err
})

func loadDocs(b *testing.B) ([][]byte, int64) {
	docs, err := corpusDocs()
	if err != nil {
		b.Skip("shared corpus not available:", err)
	}
	var n int64
	for _, d := range docs {
		n += int64(len(d))
	}
	return docs, n
}

// converters are the YAML→JSON paths compared, ours first.
var converters = []struct {
	name string
	fn   func(dst, src []byte) []byte
}{
	{"tct", func(dst, src []byte) []byte {
		out, _ := stages.YAMLToJSON(dst[:0], src, stages.DefaultConvertLimits())
		return out
	}},
	// The floor for any yaml.v3-based converter: parsing into a yaml.Node alone.
	{"yamlv3-node-parse", func(dst, src []byte) []byte {
		var n yaml.Node
		_ = yaml.Unmarshal(src, &n)
		return dst
	}},
	// The obvious Go path: decode into any, then encoding/json.
	{"yamlv3-any+encoding-json", func(dst, src []byte) []byte {
		var v any
		if yaml.Unmarshal(src, &v) != nil {
			return dst
		}
		out, _ := json.Marshal(v) // fails on map[any]any keys; counted as work done
		return out
	}},
}

// BenchmarkYAMLToJSON: throughput over the whole corpus on one core. The
// reported MB/s is of YAML input; docs/s is reported as a metric.
func BenchmarkYAMLToJSON(b *testing.B) {
	docs, total := loadDocs(b)
	for _, c := range converters {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(total)
			buf := make([]byte, 0, 1<<20)
			for b.Loop() {
				for _, d := range docs {
					buf = c.fn(buf, d)
				}
			}
			b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

// BenchmarkYAMLToJSONAllCores: the same, with one worker per core.
func BenchmarkYAMLToJSONAllCores(b *testing.B) {
	docs, total := loadDocs(b)
	workers := runtime.GOMAXPROCS(0)
	for _, c := range converters[:1] {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				var next atomic.Int64
				var wg sync.WaitGroup
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						buf := make([]byte, 0, 1<<20)
						for i := next.Add(1) - 1; i < int64(len(docs)); i = next.Add(1) - 1 {
							buf = c.fn(buf, docs[i])
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

// BenchmarkConvertStages: the whole convert stage chain in-process (read the
// .jsonl.zst, filter, dedup, convert, check, write to a discarded buffer).
func BenchmarkConvertStages(b *testing.B) {
	_, total := loadDocs(b)
	path := filepath.Join("..", "..", "shared", "corpus", "workflows.jsonl.zst")
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run("workers="+itoa(workers), func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				cfg := jobs.DefaultConvertConfig()
				cfg.Inputs = []string{path}
				cfg.Workers = workers
				runStages(b, cfg)
			}
		})
	}
}

func itoa(i int) string { return string(canon.AppendNumber(nil, float64(i))) }

func runStages(b *testing.B, cfg jobs.ConvertConfig) {
	var out, rej bytes.Buffer
	p := newPipeline()
	recs, _, err := jobs.Records(p, cfg)
	if err != nil {
		b.Fatal(err)
	}
	jobs.Drain(p, recs, stages.NewWriter(&out, &rej))
	if err := p.Wait(); err != nil {
		b.Fatal(err)
	}
}
