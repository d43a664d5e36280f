package stages

import (
	"context"
	"fmt"
	"runtime"

	"github.com/tct-dev/tct/pipeline"
)

// ConvertConfig configures the stages from dump to canonical JSON.
type ConvertConfig struct {
	Inputs []string
	Read   ReadOptions
	// PathPattern selects workflow files by path ("" keeps every path).
	PathPattern string
	Limits      ConvertLimits
	// Workers for the convert stage (default: all cores).
	Workers int
	// Partition i of Partitions (when Partitions > 1): only records whose
	// content hash falls in this share go on, so N machines can split a dump
	// and exact dedup stays global (equal content lands in one partition).
	Partition, Partitions int
}

// DefaultConvertConfig reads the shared corpus layout and keeps workflow files.
func DefaultConvertConfig() ConvertConfig {
	return ConvertConfig{Read: DefaultReadOptions(), PathPattern: DefaultWorkflowPath, Limits: DefaultConvertLimits()}
}

// InputErrors collects errors of corrupt or unreadable inputs. Reading goes on
// with the next input, so one bad file loses nothing that was read before it.
type InputErrors struct{ Errs []error }

// Records wires read → filter → dedup → convert → check into p and returns
// the stream of records in input order, every record included (rejected and
// duplicate ones are marked, not dropped). ie is complete once p.Wait returns.
func Records(p *pipeline.Pipeline, cfg ConvertConfig) (out <-chan *Record, ie *InputErrors, err error) {
	dumps := make([]Dump, 0, len(cfg.Inputs))
	for _, in := range cfg.Inputs {
		d, err := OpenDump(in, cfg.Read)
		if err != nil {
			return nil, nil, err
		}
		dumps = append(dumps, d)
	}
	filter, err := NewFilter(cfg.PathPattern, cfg.Read.MaxSize)
	if err != nil {
		return nil, nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ie = &InputErrors{}
	src := pipeline.Source(p, "read", 0, func(ctx context.Context, emit pipeline.Emit[*Record]) error {
		var seq int64
		for _, d := range dumps {
			err := d.Records(ctx, func(r *Record) error {
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
	out = src
	if cfg.Partitions > 1 {
		out = pipeline.FlatMap(p, "partition", out, pipeline.Options{}, func(_ context.Context, r *Record, emit pipeline.Emit[*Record]) error {
			if InPartition(r, cfg.Partition, cfg.Partitions) {
				return emit(r)
			}
			return nil
		})
	}
	out = Apply(p, out, pipeline.Options{}, filter)
	out = Apply(p, out, pipeline.Options{}, NewDedup())
	out = Apply(p, out, pipeline.Options{Workers: workers, Ordered: true, Depth: 4 * workers}, &Convert{Limits: cfg.Limits})
	out = Apply(p, out, pipeline.Options{}, CheckWorkflow{})
	return out, ie, nil
}

// Apply runs a Stage over a stream of records.
func Apply(p *pipeline.Pipeline, in <-chan *Record, opt pipeline.Options, s Stage) <-chan *Record {
	return pipeline.Map(p, s.Name(), in, opt, func(ctx context.Context, r *Record) (*Record, error) {
		if err := s.Process(ctx, r); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.Name(), r.Source(), err)
		}
		return r, nil
	})
}

// Drain runs a final Stage (such as a Writer) over a stream of records.
func Drain(p *pipeline.Pipeline, in <-chan *Record, s Stage) {
	pipeline.Sink(p, s.Name(), in, func(ctx context.Context, r *Record) error {
		if err := s.Process(ctx, r); err != nil {
			return fmt.Errorf("%s: %s: %w", s.Name(), r.Source(), err)
		}
		return nil
	})
}
