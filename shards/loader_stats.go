package shards

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// SplitStats are the windows of one split as the loader delivers them.
type SplitStats struct {
	Windows         int64   `json:"windows"`
	Documents       int64   `json:"documents"`          // distinct doc ids among the windows (packed: segments at a document's start)
	ManifestDocs    int64   `json:"manifest_documents"` // what the manifest counts
	IDs             int64   `json:"ids"`                // windows × (context+1)
	Targets         int64   `json:"targets"`            // real (unmasked) targets
	Padding         int64   `json:"padding"`            // PAD ids (the targets of the windows that are PAD)
	PaddingFraction float64 `json:"padding_fraction"`
}

// TokenCount is how often one content id occurs as a real target.
type TokenCount struct {
	ID    int32   `json:"id"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

// TokenStats is the histogram of content ids over the real targets of
// every split.
type TokenStats struct {
	Total        int64        `json:"total"`         // content ids counted (the real targets)
	Distinct     int          `json:"distinct"`      // distinct content ids seen
	ContentVocab int          `json:"content_vocab"` // size of the content range
	OutOfRange   int64        `json:"out_of_range"`  // targets that are not content ids (should be 0)
	Top          []TokenCount `json:"top"`
}

// DirStats is what CollectStats reports on a shard directory.
type DirStats struct {
	Dir       string                 `json:"dir"`
	Tokenizer string                 `json:"tokenizer"`
	Context   int                    `json:"context"`
	Splits    map[string]*SplitStats `json:"splits"`
	Tokens    TokenStats             `json:"tokens"`
	Seconds   float64                `json:"seconds"`
}

// CollectStats reads every window of every split of dir through the
// loader (file order) and counts, per split, the windows, the distinct
// documents, the real targets and the padding; and over all splits, the
// histogram of content ids with its top most frequent ids.
func CollectStats(ctx context.Context, dir string, top int, ro ReadOptions) (*DirStats, error) {
	start := time.Now()
	m, err := ReadManifestWith(dir, ro)
	if err != nil {
		return nil, err
	}
	st := &DirStats{Dir: dir, Tokenizer: m.Tokenizer, Context: m.Config.Context, Splits: map[string]*SplitStats{}}
	hist := make([]int64, m.Layout.Content)
	var splits []string
	for _, s := range m.Shards {
		if s.Kind == "windows" && !slices.Contains(splits, s.Split) {
			splits = append(splits, s.Split)
		}
	}
	for _, split := range splits {
		ss, err := collectSplit(ctx, dir, split, ro, hist, &st.Tokens.OutOfRange, m.Layout.Position(0))
		if err != nil {
			return nil, err
		}
		if c := m.Splits[split]; c != nil {
			ss.ManifestDocs = c.Documents
		}
		ss.IDs = ss.Windows * int64(m.Config.Context+1)
		if ss.IDs > 0 {
			ss.PaddingFraction = float64(ss.Padding) / float64(ss.IDs)
		}
		st.Splits[split] = ss
	}
	st.Tokens.fill(hist, top)
	st.Seconds = time.Since(start).Seconds()
	return st, nil
}

// collectSplit reads one split in file order, counting its windows,
// documents and targets, and adds its real targets to hist (or to
// outOfRange for ids outside the content range). pos0 is the position
// token of a document's start.
func collectSplit(ctx context.Context, dir, split string, ro ReadOptions, hist []int64, outOfRange *int64, pos0 int32) (*SplitStats, error) {
	l, err := OpenLoader(dir, LoaderOptions{Split: split, BatchSize: 256, AllowIncomplete: ro.AllowIncomplete})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	ss := &SplitStats{}
	docs, starts := map[int64]struct{}{}, int64(0)
	for {
		b, err := l.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for r := range b.Rows {
			docs[b.DocIDs[r]] = struct{}{}
			if b.Segments != nil {
				starts += documentStarts(b.Inputs[r*b.C:(r+1)*b.C], b.Segments[r*b.C:(r+1)*b.C], pos0)
			}
			row := b.Targets[r*b.C : (r+1)*b.C]
			mask := b.Mask[r*b.C : (r+1)*b.C]
			for j, id := range row {
				if mask[j] == 0 {
					if id == l.pad {
						ss.Padding++
					}
					continue
				}
				if id >= 0 && int(id) < len(hist) {
					hist[id]++
				} else {
					*outOfRange++
				}
			}
		}
		ss.Windows += int64(b.Rows)
		ss.Targets += int64(b.Tokens)
	}
	ss.Documents = int64(len(docs))
	if l.packed {
		ss.Documents = starts
	}
	return ss, nil
}

// documentStarts counts the segments of a packed window that start a
// document (at position token pos0).
func documentStarts(inputs, segs []int32, pos0 int32) int64 {
	n := int64(0)
	for j, s := range segs {
		if s != 0 && (j == 0 || s != segs[j-1]) && inputs[j] == pos0 {
			n++
		}
	}
	return n
}

// fill sets the totals and the top most frequent ids from the histogram
// of content ids.
func (t *TokenStats) fill(hist []int64, top int) {
	var order []int32
	for id, n := range hist {
		t.Total += n
		if n > 0 {
			t.Distinct++
			order = append(order, int32(id))
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return hist[order[i]] > hist[order[j]] })
	for _, id := range order[:min(top, len(order))] {
		t.Top = append(t.Top, TokenCount{ID: id, Count: hist[id], Share: float64(hist[id]) / float64(t.Total)})
	}
	t.ContentVocab = len(hist)
}

// WriteText writes the statistics as a table of splits and the list of
// the most frequent ids.
func (st *DirStats) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s: context %d, tokenizer %.16s…\n", st.Dir, st.Context, st.Tokenizer)
	names := make([]string, 0, len(st.Splits))
	for k := range st.Splits {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(ew, "%-6s %10s %10s %12s %9s\n", "split", "windows", "documents", "targets", "padding")
	for _, k := range names {
		s := st.Splits[k]
		fmt.Fprintf(ew, "%-6s %10d %10d %12d %8.1f%%\n", k, s.Windows, s.Documents, s.Targets, 100*s.PaddingFraction)
	}
	t := st.Tokens
	fmt.Fprintf(ew, "content ids: %d targets, %d distinct of %d (%.1f%%)", t.Total, t.Distinct, t.ContentVocab, 100*float64(t.Distinct)/float64(max(t.ContentVocab, 1)))
	if t.OutOfRange > 0 {
		fmt.Fprintf(ew, ", %d out of the content range", t.OutOfRange)
	}
	fmt.Fprintln(ew)
	if len(t.Top) > 0 {
		fmt.Fprintln(ew, "most frequent:")
		for _, c := range t.Top {
			fmt.Fprintf(ew, "  %5d %10d %6.2f%%\n", c.ID, c.Count, 100*c.Share)
		}
	}
	return ew.err
}

// errWriter keeps the first write error and drops the writes after it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
