// Package pipeline is a small runtime for channel-connected stages.
//
// A Pipeline owns an errgroup: every stage runs in it, the first error cancels
// the shared context, and every send or receive selects on that context, so a
// failing or cancelled run drains without leaking goroutines. Channels are
// bounded, which gives backpressure from the slowest stage to the source.
package pipeline

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// DefaultDepth is the channel capacity used when a stage does not set one.
const DefaultDepth = 64

// Pipeline wires stages together and waits for them.
type Pipeline struct {
	g   *errgroup.Group
	ctx context.Context

	mu     sync.Mutex
	stages []*stage
}

type stage struct {
	name    string
	workers int
	in, out atomic.Int64
}

// StageCount is a snapshot of one stage's counters.
type StageCount struct {
	Name    string `json:"name"`
	Workers int    `json:"workers"`
	In      int64  `json:"in"`
	Out     int64  `json:"out"`
}

// New returns a pipeline whose stages stop when ctx is cancelled or any stage fails.
func New(ctx context.Context) *Pipeline {
	g, gctx := errgroup.WithContext(ctx)
	return &Pipeline{g: g, ctx: gctx}
}

// Context is cancelled when the pipeline fails or its parent is cancelled.
func (p *Pipeline) Context() context.Context { return p.ctx }

// Wait blocks until every stage has returned and gives the first error.
func (p *Pipeline) Wait() error { return p.g.Wait() }

// Counts returns a snapshot of every stage's counters, in wiring order.
func (p *Pipeline) Counts() []StageCount {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]StageCount, len(p.stages))
	for i, s := range p.stages {
		out[i] = StageCount{Name: s.name, Workers: s.workers, In: s.in.Load(), Out: s.out.Load()}
	}
	return out
}

func (p *Pipeline) register(name string, workers int) *stage {
	s := &stage{name: name, workers: workers}
	p.mu.Lock()
	p.stages = append(p.stages, s)
	p.mu.Unlock()
	return s
}

// send delivers v unless ctx ends first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Emit is how a stage hands an item downstream; it fails only when the run is cancelled.
type Emit[T any] func(T) error

// Source starts a stage without input. gen calls emit for each item; the
// output channel is closed when gen returns.
func Source[T any](p *Pipeline, name string, depth int, gen func(ctx context.Context, emit Emit[T]) error) <-chan T {
	if depth <= 0 {
		depth = DefaultDepth
	}
	st := p.register(name, 1)
	out := make(chan T, depth)
	p.g.Go(func() error {
		defer close(out)
		return gen(p.ctx, func(v T) error {
			if err := send(p.ctx, out, v); err != nil {
				return err
			}
			st.out.Add(1)
			return nil
		})
	})
	return out
}

// Options shape a processing stage.
type Options struct {
	// Workers is the number of goroutines running the stage function (default 1).
	Workers int
	// Ordered keeps the output in input order when Workers > 1.
	Ordered bool
	// Depth is the output channel capacity (default DefaultDepth).
	Depth int
}

func (o Options) norm() Options {
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Depth <= 0 {
		o.Depth = DefaultDepth
	}
	return o
}

// FlatMap starts a stage that turns each input item into zero or more outputs.
func FlatMap[In, Out any](p *Pipeline, name string, in <-chan In, opt Options, fn func(ctx context.Context, v In, emit Emit[Out]) error) <-chan Out {
	opt = opt.norm()
	st := p.register(name, opt.Workers)
	out := make(chan Out, opt.Depth)
	ctx := p.ctx
	emitOut := func(v Out) error {
		if err := send(ctx, out, v); err != nil {
			return err
		}
		st.out.Add(1)
		return nil
	}
	if opt.Ordered && opt.Workers > 1 {
		startOrdered(p, st, in, out, opt, fn, emitOut)
		return out
	}
	var wg sync.WaitGroup
	wg.Add(opt.Workers)
	for range opt.Workers {
		p.g.Go(func() error {
			defer wg.Done()
			for {
				select {
				case v, ok := <-in:
					if !ok {
						return nil
					}
					st.in.Add(1)
					if err := fn(ctx, v, emitOut); err != nil {
						return err
					}
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		})
	}
	p.g.Go(func() error {
		wg.Wait()
		close(out)
		return nil
	})
	return out
}

// job is one input item in flight in an ordered stage; done receives its outputs.
type job[In, Out any] struct {
	v    In
	done chan []Out
}

// startOrdered runs fn on several workers and re-emits results in input order.
// A dispatcher hands each item to the workers and queues its result slot; a
// collector waits on the slots in queue order. The queue's capacity bounds the
// items in flight.
func startOrdered[In, Out any](p *Pipeline, st *stage, in <-chan In, out chan Out, opt Options,
	fn func(ctx context.Context, v In, emit Emit[Out]) error, emitOut Emit[Out]) {
	ctx := p.ctx
	work := make(chan job[In, Out], opt.Workers)
	queue := make(chan chan []Out, 2*opt.Workers)
	p.g.Go(func() error { // dispatcher
		defer close(work)
		defer close(queue)
		for {
			select {
			case v, ok := <-in:
				if !ok {
					return nil
				}
				st.in.Add(1)
				j := job[In, Out]{v: v, done: make(chan []Out, 1)}
				if err := send(ctx, queue, j.done); err != nil {
					return err
				}
				if err := send(ctx, work, j); err != nil {
					return err
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	for range opt.Workers {
		p.g.Go(func() error {
			for {
				select {
				case j, ok := <-work:
					if !ok {
						return nil
					}
					var res []Out
					err := fn(ctx, j.v, func(o Out) error { res = append(res, o); return nil })
					if err != nil {
						return err
					}
					j.done <- res // buffered: never blocks
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		})
	}
	p.g.Go(func() error { // collector
		defer close(out)
		for {
			select {
			case slot, ok := <-queue:
				if !ok {
					return nil
				}
				select {
				case res := <-slot:
					for _, o := range res {
						if err := emitOut(o); err != nil {
							return err
						}
					}
				case <-ctx.Done():
					return ctx.Err()
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
}

// Map starts a one-to-one stage.
func Map[In, Out any](p *Pipeline, name string, in <-chan In, opt Options, fn func(ctx context.Context, v In) (Out, error)) <-chan Out {
	return FlatMap(p, name, in, opt, func(ctx context.Context, v In, emit Emit[Out]) error {
		o, err := fn(ctx, v)
		if err != nil {
			return err
		}
		return emit(o)
	})
}

// Sink starts a final stage that consumes every item.
func Sink[T any](p *Pipeline, name string, in <-chan T, fn func(ctx context.Context, v T) error) {
	st := p.register(name, 1)
	ctx := p.ctx
	p.g.Go(func() error {
		for {
			select {
			case v, ok := <-in:
				if !ok {
					return nil
				}
				st.in.Add(1)
				if err := fn(ctx, v); err != nil {
					return err
				}
				st.out.Add(1)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
}
