package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var errBoom = errors.New("boom")

// jitter returns n deterministic per-item delays of 0..20µs (seeded), so
// parallel workers finish items out of input order.
func jitter(n int) []time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = time.Duration(r.IntN(21)) * time.Microsecond
	}
	return d
}

// pause busy-waits d, yielding so other workers interleave even on one core.
// (time.Sleep of a few µs can take milliseconds on a loaded machine.)
func pause(d time.Duration) {
	t0 := time.Now()
	runtime.Gosched()
	for time.Since(t0) < d {
		runtime.Gosched()
	}
}

// ints is a source of 0..n-1.
func ints(p *Pipeline, name string, depth, n int) <-chan int {
	return Source(p, name, depth, func(ctx context.Context, emit Emit[int]) error {
		for i := range n {
			if err := emit(i); err != nil {
				return err
			}
		}
		return nil
	})
}

// forever is a source that emits 0,1,2,... until emit fails. The error emit
// returned is sent on stopped, so a test can check that the source observed
// cancellation through emit.
func forever(p *Pipeline, name string, depth int, stopped chan<- error) <-chan int {
	return Source(p, name, depth, func(ctx context.Context, emit Emit[int]) error {
		for i := 0; ; i++ {
			if err := emit(i); err != nil {
				stopped <- err
				return err
			}
		}
	})
}

// collect sinks in into a slice that is complete once p.Wait returns.
func collect[T any](p *Pipeline, name string, in <-chan T) *[]T {
	var got []T
	Sink(p, name, in, func(ctx context.Context, v T) error {
		got = append(got, v)
		return nil
	})
	return &got
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func countsByName(t *testing.T, p *Pipeline) map[string]StageCount {
	t.Helper()
	m := map[string]StageCount{}
	for _, c := range p.Counts() {
		if _, dup := m[c.Name]; dup {
			t.Fatalf("duplicate stage name %q in Counts", c.Name)
		}
		m[c.Name] = c
	}
	return m
}

func checkCount(t *testing.T, c StageCount, workers int, in, out int64) {
	t.Helper()
	if c.Workers != workers || c.In != in || c.Out != out {
		t.Errorf("stage %q: got workers=%d in=%d out=%d, want workers=%d in=%d out=%d",
			c.Name, c.Workers, c.In, c.Out, workers, in, out)
	}
}

var workerCases = []struct {
	workers int
	ordered bool
}{
	{1, true}, {4, true}, {8, true},
	{1, false}, {4, false}, {8, false},
}

func TestMap(t *testing.T) {
	const n = 300
	delay := jitter(n)
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint(i * 10)
	}
	for _, tc := range workerCases {
		t.Run(fmt.Sprintf("workers=%d/ordered=%v", tc.workers, tc.ordered), func(t *testing.T) {
			p := New(context.Background())
			src := ints(p, "src", 4, n)
			out := Map(p, "map", src, Options{Workers: tc.workers, Ordered: tc.ordered, Depth: 4},
				func(ctx context.Context, v int) (string, error) {
					pause(delay[v])
					return fmt.Sprint(v * 10), nil
				})
			got := collect(p, "sink", out)
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if tc.ordered {
				if !slices.Equal(*got, want) {
					t.Fatalf("ordered output differs from input order:\n got %v\nwant %v", *got, want)
				}
			} else {
				s := slices.Clone(*got)
				w := slices.Clone(want)
				slices.Sort(s)
				slices.Sort(w)
				if !slices.Equal(s, w) {
					t.Fatalf("unordered output is not the input multiset:\n got %v\nwant %v", s, w)
				}
			}
			c := countsByName(t, p)
			checkCount(t, c["src"], 1, 0, n)
			checkCount(t, c["map"], tc.workers, n, n)
			checkCount(t, c["sink"], 1, n, n)
		})
	}
}

// TestOrderedReorders forces item 0 to finish after item 1, so the ordered
// collector must hold item 1 back; this does not depend on timing luck.
func TestOrderedReorders(t *testing.T) {
	for _, workers := range []int{2, 4, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			const n = 50
			oneDone := make(chan struct{})
			var finished []int
			var mu sync.Mutex
			p := New(context.Background())
			out := Map(p, "map", ints(p, "src", 0, n), Options{Workers: workers, Ordered: true},
				func(ctx context.Context, v int) (int, error) {
					switch v {
					case 0:
						select {
						case <-oneDone:
						case <-time.After(5 * time.Second):
							return 0, errors.New("item 1 never finished while item 0 was in flight")
						}
					case 1:
						defer close(oneDone)
					}
					mu.Lock()
					finished = append(finished, v)
					mu.Unlock()
					return v, nil
				})
			got := collect(p, "sink", out)
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if finished[0] == 0 {
				t.Fatalf("item 0 finished first; the test did not force a reordering")
			}
			if !slices.Equal(*got, seq(n)) {
				t.Fatalf("got %v, want 0..%d in order", *got, n-1)
			}
		})
	}
}

func TestFlatMap(t *testing.T) {
	const n = 300
	delay := jitter(n)
	// item v emits v%4 outputs: 0, 1, 2 or 3 of them.
	fan := func(v int) int { return v % 4 }
	var want []string
	for v := range n {
		for k := range fan(v) {
			want = append(want, fmt.Sprintf("%d.%d", v, k))
		}
	}
	for _, tc := range workerCases {
		t.Run(fmt.Sprintf("workers=%d/ordered=%v", tc.workers, tc.ordered), func(t *testing.T) {
			p := New(context.Background())
			out := FlatMap(p, "flat", ints(p, "src", 4, n), Options{Workers: tc.workers, Ordered: tc.ordered, Depth: 2},
				func(ctx context.Context, v int, emit Emit[string]) error {
					for k := range fan(v) {
						pause(delay[(v+k)%n])
						if err := emit(fmt.Sprintf("%d.%d", v, k)); err != nil {
							return err
						}
					}
					return nil
				})
			got := collect(p, "sink", out)
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if tc.ordered {
				if !slices.Equal(*got, want) {
					t.Fatalf("ordered output differs:\n got %v\nwant %v", *got, want)
				}
			} else {
				s, w := slices.Clone(*got), slices.Clone(want)
				slices.Sort(s)
				slices.Sort(w)
				if !slices.Equal(s, w) {
					t.Fatalf("unordered output is not the expected multiset:\n got %v\nwant %v", s, w)
				}
			}
			m := int64(len(want))
			c := countsByName(t, p)
			checkCount(t, c["src"], 1, 0, n)
			checkCount(t, c["flat"], tc.workers, n, m)
			checkCount(t, c["sink"], 1, m, m)
		})
	}
}

func TestEmptyAndDefaults(t *testing.T) {
	for _, tc := range workerCases {
		t.Run(fmt.Sprintf("workers=%d/ordered=%v", tc.workers, tc.ordered), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			p := New(context.Background())
			src := ints(p, "src", 0, 0)
			out := FlatMap(p, "flat", src, Options{Workers: tc.workers, Ordered: tc.ordered},
				func(ctx context.Context, v int, emit Emit[int]) error { return emit(v) })
			got := collect(p, "sink", out)
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if len(*got) != 0 {
				t.Fatalf("got %v from an empty source", *got)
			}
			if cap(src) != DefaultDepth || cap(out) != DefaultDepth {
				t.Errorf("depth 0: caps %d, %d; want DefaultDepth %d", cap(src), cap(out), DefaultDepth)
			}
			c := countsByName(t, p)
			checkCount(t, c["src"], 1, 0, 0)
			checkCount(t, c["flat"], tc.workers, 0, 0)
			checkCount(t, c["sink"], 1, 0, 0)
		})
	}
	t.Run("options", func(t *testing.T) {
		p := New(context.Background())
		src := ints(p, "src", 3, 5)
		m := Map(p, "m", src, Options{Workers: -2, Depth: 7},
			func(ctx context.Context, v int) (int, error) { return v, nil })
		got := collect(p, "sink", m)
		if cap(src) != 3 || cap(m) != 7 {
			t.Errorf("caps %d, %d; want 3, 7", cap(src), cap(m))
		}
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(*got, seq(5)) {
			t.Errorf("got %v", *got)
		}
		if c := countsByName(t, p)["m"]; c.Workers != 1 {
			t.Errorf("Workers -2 normalised to %d, want 1", c.Workers)
		}
	})
}

// TestCounts checks every stage's counters over a longer chain, including a
// filtering FlatMap and a reader that consumes the last channel directly.
func TestCounts(t *testing.T) {
	const n = 500
	p := New(context.Background())
	src := ints(p, "src", 8, n)
	sq := Map(p, "square", src, Options{Workers: 4, Ordered: true, Depth: 8},
		func(ctx context.Context, v int) (int, error) { return v * v, nil })
	even := FlatMap(p, "even", sq, Options{Workers: 3},
		func(ctx context.Context, v int, emit Emit[int]) error {
			if v%2 != 0 {
				return nil
			}
			return emit(v)
		})
	dup := FlatMap(p, "dup", even, Options{Workers: 2, Ordered: true},
		func(ctx context.Context, v int, emit Emit[int]) error {
			if err := emit(v); err != nil {
				return err
			}
			return emit(v)
		})
	var sum atomic.Int64
	Sink(p, "sink", dup, func(ctx context.Context, v int) error {
		sum.Add(int64(v))
		return nil
	})
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	var wantSum int64
	for v := 0; v < n; v += 2 {
		wantSum += 2 * int64(v*v)
	}
	if sum.Load() != wantSum {
		t.Errorf("sum %d, want %d", sum.Load(), wantSum)
	}
	counts := p.Counts()
	names := make([]string, len(counts))
	for i, c := range counts {
		names[i] = c.Name
	}
	if want := []string{"src", "square", "even", "dup", "sink"}; !slices.Equal(names, want) {
		t.Fatalf("Counts order %v, want wiring order %v", names, want)
	}
	const evens = n / 2
	checkCount(t, counts[0], 1, 0, n)
	checkCount(t, counts[1], 4, n, n)
	checkCount(t, counts[2], 3, n, evens)
	checkCount(t, counts[3], 2, evens, 2*evens)
	checkCount(t, counts[4], 1, 2*evens, 2*evens)
}

// TestStageError: a stage failing mid-stream makes Wait return its error, the
// infinite source stops through emit's error, nothing downstream sees items
// past the failure out of order, and no goroutine is left behind.
func TestStageError(t *testing.T) {
	const failAt = 100
	type build func(p *Pipeline, src <-chan int) <-chan int
	mapStage := func(opt Options) build {
		return func(p *Pipeline, src <-chan int) <-chan int {
			return Map(p, "stage", src, opt, func(ctx context.Context, v int) (int, error) {
				if v == failAt {
					return 0, fmt.Errorf("item %d: %w", v, errBoom)
				}
				return v, nil
			})
		}
	}
	flatStage := func(opt Options) build {
		return func(p *Pipeline, src <-chan int) <-chan int {
			return FlatMap(p, "stage", src, opt, func(ctx context.Context, v int, emit Emit[int]) error {
				if v == failAt {
					return errBoom
				}
				return emit(v)
			})
		}
	}
	pass := func(opt Options) build {
		return func(p *Pipeline, src <-chan int) <-chan int {
			return Map(p, "stage", src, opt, func(ctx context.Context, v int) (int, error) { return v, nil })
		}
	}
	cases := []struct {
		name    string
		stage   build
		sinkErr bool // the sink fails instead of the stage
		ordered bool // output before the failure must be an in-order prefix
	}{
		{"map/w1", mapStage(Options{Workers: 1}), false, true},
		{"map/w4", mapStage(Options{Workers: 4, Depth: 2}), false, false},
		{"map/w4/ordered", mapStage(Options{Workers: 4, Ordered: true, Depth: 2}), false, true},
		{"map/w8/ordered", mapStage(Options{Workers: 8, Ordered: true}), false, true},
		{"flatmap/w4", flatStage(Options{Workers: 4}), false, false},
		{"flatmap/w8/ordered", flatStage(Options{Workers: 8, Ordered: true, Depth: 1}), false, true},
		{"sink/after-w1", pass(Options{Workers: 1}), true, true},
		{"sink/after-w4", pass(Options{Workers: 4}), true, false},
		{"sink/after-w4-ordered", pass(Options{Workers: 4, Ordered: true}), true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			stopped := make(chan error, 1)
			p := New(context.Background())
			out := tc.stage(p, forever(p, "src", 4, stopped))
			var got []int
			Sink(p, "sink", out, func(ctx context.Context, v int) error {
				if tc.sinkErr && v == failAt {
					return errBoom
				}
				got = append(got, v)
				return nil
			})
			err := waitTimeout(t, p, 5*time.Second)
			if !errors.Is(err, errBoom) {
				t.Fatalf("Wait = %v, want %v", err, errBoom)
			}
			select {
			case serr := <-stopped:
				if !errors.Is(serr, context.Canceled) {
					t.Errorf("source's emit failed with %v, want context.Canceled", serr)
				}
			default:
				t.Fatal("source did not observe cancellation through emit")
			}
			if p.Context().Err() == nil {
				t.Error("Context() not cancelled after a stage failed")
			}
			if !errors.Is(context.Cause(p.Context()), errBoom) {
				t.Errorf("context cause = %v, want %v", context.Cause(p.Context()), errBoom)
			}
			if slices.Contains(got, failAt) {
				t.Errorf("sink received the failing item %d", failAt)
			}
			if tc.ordered && !slices.Equal(got, seq(len(got))) {
				t.Errorf("output before the failure is not an in-order prefix: %v", got)
			}
			// Counters are final: the source produced a finite number of
			// items, and no stage passed on more than it took in.
			c := countsByName(t, p)
			src, st, sk := c["src"], c["stage"], c["sink"]
			if src.Out < failAt+1 {
				t.Errorf("source emitted %d items, the failing item is %d", src.Out, failAt)
			}
			if st.In > src.Out || st.Out > st.In || sk.In > st.Out || sk.Out > sk.In {
				t.Errorf("inconsistent counts after failure: %+v", p.Counts())
			}
			if tc.sinkErr && tc.ordered && sk.Out != failAt {
				t.Errorf("sink out %d, want %d", sk.Out, failAt)
			}
			time.Sleep(time.Millisecond)
			if again := countsByName(t, p)["src"].Out; again != src.Out {
				t.Errorf("source still producing after Wait: out %d -> %d", src.Out, again)
			}
		})
	}
}

// TestSourceError: a source's own error reaches Wait and stops the rest.
func TestSourceError(t *testing.T) {
	for _, tc := range workerCases {
		t.Run(fmt.Sprintf("workers=%d/ordered=%v", tc.workers, tc.ordered), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			p := New(context.Background())
			src := Source(p, "src", 2, func(ctx context.Context, emit Emit[int]) error {
				for i := range 50 {
					if err := emit(i); err != nil {
						return err
					}
				}
				return errBoom
			})
			// A stage whose fn blocks until cancellation must be released too.
			out := Map(p, "stage", src, Options{Workers: tc.workers, Ordered: tc.ordered},
				func(ctx context.Context, v int) (int, error) {
					if v == 49 {
						<-ctx.Done()
						return 0, ctx.Err()
					}
					return v, nil
				})
			got := collect(p, "sink", out)
			if err := waitTimeout(t, p, 5*time.Second); !errors.Is(err, errBoom) {
				t.Fatalf("Wait = %v, want %v", err, errBoom)
			}
			if len(*got) > 49 {
				t.Errorf("sink got %d items", len(*got))
			}
		})
	}
}

// TestIndependentChains: one Pipeline may hold several chains; a failure in
// one stops an infinite source in the other.
func TestIndependentChains(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	stopped := make(chan error, 1)
	p := New(context.Background())
	a := Map(p, "a.map", forever(p, "a.src", 2, stopped), Options{Workers: 2, Ordered: true},
		func(ctx context.Context, v int) (int, error) { return v, nil })
	Sink(p, "a.sink", a, func(ctx context.Context, v int) error { return nil })
	b := ints(p, "b.src", 2, 1000)
	Sink(p, "b.sink", b, func(ctx context.Context, v int) error {
		if v == 30 {
			return errBoom
		}
		return nil
	})
	if err := waitTimeout(t, p, 5*time.Second); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want %v", err, errBoom)
	}
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("chain a's source stopped with %v, want context.Canceled", err)
	}
}

// TestParentCancel: cancelling the parent context stops an infinite source
// and every stage; Wait returns context.Canceled.
func TestParentCancel(t *testing.T) {
	for _, tc := range workerCases {
		t.Run(fmt.Sprintf("workers=%d/ordered=%v", tc.workers, tc.ordered), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stopped := make(chan error, 1)
			p := New(ctx)
			out := FlatMap(p, "stage", forever(p, "src", 4, stopped), Options{Workers: tc.workers, Ordered: tc.ordered, Depth: 4},
				func(ctx context.Context, v int, emit Emit[int]) error {
					if err := emit(v); err != nil {
						return err
					}
					return emit(-v)
				})
			var seen atomic.Int64
			Sink(p, "sink", out, func(ctx context.Context, v int) error {
				if seen.Add(1) == 200 {
					cancel()
				}
				return nil
			})
			err := waitTimeout(t, p, 5*time.Second)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait = %v, want context.Canceled", err)
			}
			if serr := <-stopped; !errors.Is(serr, context.Canceled) {
				t.Errorf("source's emit failed with %v, want context.Canceled", serr)
			}
			if seen.Load() < 200 {
				t.Errorf("sink saw %d items before cancel", seen.Load())
			}
		})
	}
	t.Run("before-start", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		stopped := make(chan error, 1)
		p := New(ctx)
		out := Map(p, "stage", forever(p, "src", 1, stopped), Options{Workers: 4, Ordered: true},
			func(ctx context.Context, v int) (int, error) { return v, nil })
		collect(p, "sink", out)
		if err := waitTimeout(t, p, 5*time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
	})
}

// TestGoroutinesReturn checks the goroutine count against a baseline without
// goleak, as a second opinion on the error and cancel paths.
func TestGoroutinesReturn(t *testing.T) {
	base := runtime.NumGoroutine()
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		p := New(ctx)
		stopped := make(chan error, 1)
		out := Map(p, "m", forever(p, "src", 1, stopped), Options{Workers: 8, Ordered: true},
			func(ctx context.Context, v int) (int, error) { return v, nil })
		out = Map(p, "m2", out, Options{Workers: 8},
			func(ctx context.Context, v int) (int, error) {
				if v == 500 {
					return 0, errBoom
				}
				return v, nil
			})
		Sink(p, "sink", out, func(ctx context.Context, v int) error { return nil })
		if err := waitTimeout(t, p, 5*time.Second); !errors.Is(err, errBoom) {
			t.Fatalf("Wait = %v", err)
		}
		cancel()
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d after Wait, baseline %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBackpressure: with a slow sink, the source is never more than a bounded
// number of items ahead of it. Items between source Out and sink In can only
// be in the source channel (Dsrc), held inside the stage, in the stage's
// output channel (Dout), or received by the sink but not yet counted (1).
// Inside the stage an unordered stage holds at most one item per worker; an
// ordered one holds its queue of 2*Workers slots plus one in the dispatcher
// and one in the collector.
func TestBackpressure(t *testing.T) {
	cases := []struct {
		dsrc, dout, workers int
		ordered             bool
	}{
		{1, 1, 1, false},
		{4, 2, 1, false},
		{2, 3, 4, false},
		{2, 3, 4, true},
		{1, 1, 8, true},
	}
	const n = 80
	for _, tc := range cases {
		name := fmt.Sprintf("dsrc=%d/dout=%d/workers=%d/ordered=%v", tc.dsrc, tc.dout, tc.workers, tc.ordered)
		t.Run(name, func(t *testing.T) {
			held := tc.workers
			if tc.ordered && tc.workers > 1 {
				held = 2*tc.workers + 2
			}
			bound := int64(tc.dsrc + tc.dout + held + 1)

			p := New(context.Background())
			// lead is source Out minus sink In. The source's Out is read
			// first; both only grow, so a read can understate the true lead
			// at the later instant but never overstate it.
			lead := func() int64 {
				c := p.Counts()
				return c[0].Out - c[2].In
			}
			start := make(chan struct{}) // the source waits until the sink is wired
			var maxLead atomic.Int64
			observe := func(lead int64) {
				for {
					m := maxLead.Load()
					if lead <= m || maxLead.CompareAndSwap(m, lead) {
						return
					}
				}
			}
			src := Source(p, "src", tc.dsrc, func(ctx context.Context, emit Emit[int]) error {
				<-start
				for i := range n {
					observe(lead())
					if err := emit(i); err != nil {
						return err
					}
				}
				return nil
			})
			out := Map(p, "stage", src, Options{Workers: tc.workers, Ordered: tc.ordered, Depth: tc.dout},
				func(ctx context.Context, v int) (int, error) { return v, nil })
			var got []int
			Sink(p, "sink", out, func(ctx context.Context, v int) error {
				time.Sleep(50 * time.Microsecond) // slow consumer: let the pipeline fill up
				observe(lead())
				got = append(got, v)
				return nil
			})
			close(start)
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if len(got) != n {
				t.Fatalf("sink got %d items, want %d", len(got), n)
			}
			m := maxLead.Load()
			t.Logf("max lead %d, bound %d", m, bound)
			if m > bound {
				t.Errorf("source ran %d items ahead of the sink, bound %d", m, bound)
			}
			// The pipeline does buffer: a full source channel and output
			// channel are seen at least once while the sink is slow.
			if m < int64(tc.dsrc+tc.dout) {
				t.Errorf("max lead %d never reached the channel depths %d", m, tc.dsrc+tc.dout)
			}
		})
	}
}

// TestEmitAfterCancel: once the run is cancelled, emit in an unordered stage
// fails with the context error instead of blocking on a full channel.
func TestEmitAfterCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := New(context.Background())
	emitErr := make(chan error, 1)
	out := FlatMap(p, "stage", ints(p, "src", 1, 1), Options{Depth: 1},
		func(ctx context.Context, v int, emit Emit[int]) error {
			// Nobody reads out past the first item: the second emit blocks
			// until the sink fails and the run is cancelled.
			for i := 0; ; i++ {
				if err := emit(i); err != nil {
					emitErr <- err
					return err
				}
			}
		})
	Sink(p, "sink", out, func(ctx context.Context, v int) error { return errBoom })
	if err := waitTimeout(t, p, 5*time.Second); !errors.Is(err, errBoom) {
		t.Fatalf("Wait = %v, want %v", err, errBoom)
	}
	if err := <-emitErr; !errors.Is(err, context.Canceled) {
		t.Errorf("emit returned %v, want context.Canceled", err)
	}
}

// waitTimeout is p.Wait that fails the test instead of hanging forever.
func waitTimeout(t *testing.T, p *Pipeline, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("Wait did not return within %v; goroutines:\n%s", d, buf)
		return nil
	}
}

// BenchmarkOrderedMap measures the per-item overhead (ns/op is per item) of
// an ordered 2-worker Map over ints, from source to sink.
func BenchmarkOrderedMap(b *testing.B) {
	b.ReportAllocs()
	p := New(context.Background())
	src := ints(p, "src", 0, b.N)
	out := Map(p, "map", src, Options{Workers: 2, Ordered: true},
		func(ctx context.Context, v int) (int, error) { return v + 1, nil })
	var sum int
	Sink(p, "sink", out, func(ctx context.Context, v int) error {
		sum += v
		return nil
	})
	b.ResetTimer()
	if err := p.Wait(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if want := b.N * (b.N + 1) / 2; sum != want {
		b.Fatalf("sum %d, want %d", sum, want)
	}
}
