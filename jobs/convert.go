// Package jobs runs the project's jobs end to end: convert (dump →
// canonical JSON lines), pipeline (dump → Parquet shards and manifest),
// train-tokenizer and tokenize. A job wires stages into a pipeline, keeps
// the accounting and writes the output files; the command line only parses
// flags and calls one function here.
package jobs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/tct-dev/tct/pipeline"
	"github.com/tct-dev/tct/stages"
)

// ConvertConfig configures the stages from dump to canonical JSON.
type ConvertConfig struct {
	Inputs []string
	Read   stages.ReadOptions
	// PathPattern selects workflow files by path ("" keeps every path).
	PathPattern string
	Limits      stages.ConvertLimits
	// Workers for the convert stage (default: all cores).
	Workers int
	// Partition i of Partitions (when Partitions > 1): only records whose
	// content hash falls in this share go on, so N machines can split a dump
	// and exact dedup stays global (equal content lands in one partition).
	Partition, Partitions int
}

// DefaultConvertConfig reads the shared corpus layout and keeps workflow files.
func DefaultConvertConfig() ConvertConfig {
	return ConvertConfig{Read: stages.DefaultReadOptions(), PathPattern: stages.DefaultWorkflowPath, Limits: stages.DefaultConvertLimits()}
}

// check rejects settings out of range.
func (c ConvertConfig) check() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("workers %d: want 0 (all cores) or more", c.Workers)
	case c.Read.MaxSize < 0:
		return fmt.Errorf("max size %d: want a positive number of bytes", c.Read.MaxSize)
	case c.Limits.MaxDepth < 0 || c.Limits.MaxDepth > stages.MaxDepth:
		return fmt.Errorf("max depth %d: want 1 to %d (the tokenizer's limit)", c.Limits.MaxDepth, stages.MaxDepth)
	case c.Read.RepoDepth < 0:
		return fmt.Errorf("repo depth %d: want 0 or more", c.Read.RepoDepth)
	case c.Partitions < 0 || c.Partitions > 0 && (c.Partition < 0 || c.Partition >= c.Partitions):
		return fmt.Errorf("partition %d/%d: want i/N with 0 <= i < N", c.Partition, c.Partitions)
	}
	return nil
}

func (c ConvertConfig) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Watch, when set, is started on a job's pipeline (to show its progress);
// the function it returns is called when the pipeline has finished.
type Watch func(*pipeline.Pipeline) (stop func())

// InputErrors collects errors of corrupt or unreadable inputs. Reading goes on
// with the next input, so one bad file loses nothing that was read before it.
type InputErrors struct{ Errs []error }

// Strings lists the errors' messages.
func (ie *InputErrors) Strings() []string {
	var out []string
	for _, e := range ie.Errs {
		out = append(out, e.Error())
	}
	return out
}

// Records wires read → filter → dedup → convert → check into p and returns
// the stream of records in input order, every record included (rejected and
// duplicate ones are marked, not dropped). ie is complete once p.Wait returns.
func Records(p *pipeline.Pipeline, cfg ConvertConfig) (out <-chan *stages.Record, ie *InputErrors, err error) {
	if err := cfg.check(); err != nil {
		return nil, nil, err
	}
	dumps := make([]stages.Dump, 0, len(cfg.Inputs))
	for _, in := range cfg.Inputs {
		d, err := stages.OpenDump(in, cfg.Read)
		if err != nil {
			return nil, nil, err
		}
		dumps = append(dumps, d)
	}
	filter, err := stages.NewFilter(cfg.PathPattern, cfg.Read.MaxSize)
	if err != nil {
		return nil, nil, err
	}
	ie = &InputErrors{}
	out = pipeline.Source(p, "read", 0, func(ctx context.Context, emit pipeline.Emit[*stages.Record]) error {
		var seq int64
		for _, d := range dumps {
			err := d.Records(ctx, func(r *stages.Record) error {
				r.Seq = seq
				seq++
				return emit(r)
			})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				ie.Errs = append(ie.Errs, err) // readers name the file and offset
			}
		}
		return nil
	})
	if cfg.Partitions > 1 {
		out = pipeline.FlatMap(p, "partition", out, pipeline.Options{}, func(_ context.Context, r *stages.Record, emit pipeline.Emit[*stages.Record]) error {
			if stages.InPartition(r, cfg.Partition, cfg.Partitions) {
				return emit(r)
			}
			return nil
		})
	}
	workers := cfg.workers()
	out = Apply(p, out, pipeline.Options{}, filter)
	out = Apply(p, out, pipeline.Options{}, stages.NewDedup())
	out = Apply(p, out, pipeline.Options{Workers: workers, Ordered: true, Depth: 4 * workers}, &stages.Convert{Limits: cfg.Limits})
	out = Apply(p, out, pipeline.Options{}, stages.CheckWorkflow{})
	return out, ie, nil
}

// Apply runs a Stage over a stream of records.
func Apply(p *pipeline.Pipeline, in <-chan *stages.Record, opt pipeline.Options, s stages.Stage) <-chan *stages.Record {
	return pipeline.Map(p, s.Name(), in, opt, func(ctx context.Context, r *stages.Record) (*stages.Record, error) {
		if err := s.Process(ctx, r); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.Name(), r.Source(), err)
		}
		return r, nil
	})
}

// Drain runs a final Stage (such as a Writer) over a stream of records.
func Drain(p *pipeline.Pipeline, in <-chan *stages.Record, s stages.Stage) {
	pipeline.Sink(p, s.Name(), in, func(ctx context.Context, r *stages.Record) error {
		if err := s.Process(ctx, r); err != nil {
			return fmt.Errorf("%s: %s: %w", s.Name(), r.Source(), err)
		}
		return nil
	})
}

// Wait waits for the pipeline while watch (if set) shows its progress.
func Wait(p *pipeline.Pipeline, watch Watch) error {
	if watch != nil {
		defer watch(p)()
	}
	return p.Wait()
}

// RunWith runs the convert stages and one more stage over the inputs (on
// all workers, unordered), with the usual accounting.
func RunWith(ctx context.Context, cfg ConvertConfig, s stages.Stage, watch Watch) (*stages.Summary, error) {
	p := pipeline.New(ctx)
	recs, ie, err := Records(p, cfg)
	if err != nil {
		return nil, err
	}
	w := stages.NewWriter(io.Discard, nil)
	Drain(p, Apply(p, recs, pipeline.Options{Workers: cfg.workers()}, s), w)
	if err := Wait(p, watch); err != nil {
		return nil, err
	}
	w.Summary.InputErrors = append(w.Summary.InputErrors, ie.Strings()...)
	return w.Summary, nil
}

// createRejects opens the rejects file; for "" it only counts (an Output
// that discards).
func createRejects(path string) (*Output, error) {
	if path == "" {
		return &Output{w: io.Discard, buf: bufio.NewWriter(io.Discard)}, nil
	}
	return CreateOutput(path)
}

// ConvertReport is the summary of a convert job.
type ConvertReport struct {
	*stages.Summary
	Out      string                `json:"out"`
	Rejects  string                `json:"rejects"`
	Seconds  float64               `json:"seconds"`
	MBPerSec float64               `json:"mb_per_s"`
	DocsPerS float64               `json:"docs_per_s"`
	Stages   []pipeline.StageCount `json:"stages"`
}

// Convert writes the accepted documents of the inputs as JSON lines to
// outPath and the rejected ones to rejPath ("": beside outPath; when outPath
// is "-", standard output, rejects are only counted). The report comes back
// also with an error of unbalanced accounting.
func Convert(ctx context.Context, cfg ConvertConfig, outPath, rejPath string, watch Watch) (*ConvertReport, error) {
	start := time.Now()
	if rejPath == "" {
		rejPath = RejectsPath(outPath)
	}
	if rejPath == "-" && outPath == "-" {
		return nil, fmt.Errorf("--out - and --rejects -: documents and rejects cannot share standard output")
	}
	out, err := CreateOutput(outPath)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	rej, err := createRejects(rejPath)
	if err != nil {
		return nil, err
	}
	defer rej.Abort()
	p := pipeline.New(ctx)
	recs, inputErrs, err := Records(p, cfg)
	if err != nil {
		return nil, err
	}
	w := stages.NewWriter(out, rej)
	Drain(p, recs, w)
	if err := Wait(p, watch); err != nil {
		return nil, err
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	if err := rej.Commit(); err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	s := w.Summary
	s.Inputs = cfg.Inputs
	s.InputErrors = append(s.InputErrors, inputErrs.Strings()...)
	rep := &ConvertReport{Summary: s, Out: outPath, Rejects: rejPath, Seconds: secs,
		MBPerSec: float64(s.BytesRead) / 1e6 / secs, DocsPerS: float64(s.Read) / secs, Stages: p.Counts()}
	if !s.Balanced() {
		return rep, fmt.Errorf("internal error: accounting does not add up: read %d != written %d + rejected %d + duplicates %d",
			s.Read, s.Written, s.Rejected, s.Duplicates)
	}
	return rep, nil
}
