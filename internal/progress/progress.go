// Package progress renders a pipeline's per-stage counters on a terminal.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tct-dev/tct/pipeline"
)

// IsTerminal reports whether w is a terminal (progress is shown only there).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Show renders the counters that counts returns (such as a Pipeline's
// Counts) and their rates on w until the returned stop function is called.
// unit names what the first stage counts ("records").
func Show(counts func() []pipeline.StageCount, w io.Writer, unit string) (stop func()) {
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionShowIts(),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				c := counts()
				if len(c) == 0 {
					continue
				}
				bar.Describe(describe(c, time.Since(start)))
				_ = bar.Set64(c[0].Out)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		_ = bar.Finish()
	}
}

// describe formats "stage in/s" for every stage after the source.
func describe(counts []pipeline.StageCount, elapsed time.Duration) string {
	var b strings.Builder
	secs := max(elapsed.Seconds(), 1e-9)
	for _, c := range counts[1:] {
		fmt.Fprintf(&b, "%s %d (%.0f/s) ", c.Name, c.In, float64(c.In)/secs)
	}
	return strings.TrimSpace(b.String())
}
