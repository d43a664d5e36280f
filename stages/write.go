package stages

import (
	"context"
	"fmt"
	"github.com/tct-dev/tct/internal/canon"
	"io"
	"sort"
	"strconv"
)

// Summary is the accounting of a run: every record read ends as written,
// rejected or duplicate, so Read == Written + Rejected + Duplicates.
type Summary struct {
	Inputs           []string         `json:"inputs"`
	Read             int64            `json:"read"`
	Written          int64            `json:"written"`
	Rejected         int64            `json:"rejected"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
	Duplicates       int64            `json:"duplicates"`
	BytesRead        int64            `json:"bytes_read"`
	BytesWritten     int64            `json:"bytes_json"`
	// InputErrors lists corrupt or unreadable inputs; what was read before the error was processed.
	InputErrors []string `json:"input_errors,omitempty"`
}

// Balanced reports whether the accounting adds up.
func (s *Summary) Balanced() bool { return s.Read == s.Written+s.Rejected+s.Duplicates }

// ReasonsSorted lists the reject reasons, most frequent first.
func (s *Summary) ReasonsSorted() []string {
	out := make([]string, 0, len(s.RejectedByReason))
	for k := range s.RejectedByReason {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := s.RejectedByReason[out[i]], s.RejectedByReason[out[j]]
		return a > b || a == b && out[i] < out[j]
	})
	return out
}

// Writer is the final stage: it writes accepted documents as JSON lines to
// Out and rejected ones, with their reason and origin, to Rejects, and keeps
// the Summary. It must run as a single ordered worker.
type Writer struct {
	Out     io.Writer
	Rejects io.Writer // may be nil: rejects are then only counted
	Summary *Summary
	line    []byte
}

func NewWriter(out, rejects io.Writer) *Writer {
	return &Writer{Out: out, Rejects: rejects, Summary: &Summary{RejectedByReason: map[string]int64{}}}
}

func (w *Writer) Name() string { return "write" }

func (w *Writer) Process(_ context.Context, r *Record) error {
	s := w.Summary
	s.Read++
	s.BytesRead += int64(len(r.Content))
	switch {
	case r.Duplicate:
		s.Duplicates++
		return nil
	case r.Reject != nil:
		s.Rejected++
		s.RejectedByReason[r.Reject.Reason]++
		if w.Rejects == nil {
			return nil
		}
		b := w.origin(r)
		b = append(b, `,"reason":`...)
		b = canon.AppendString(b, r.Reject.Reason)
		b = append(b, `,"message":`...)
		b = canon.AppendString(b, r.Reject.Message)
		b = append(b, "}\n"...)
		if _, err := w.Rejects.Write(b); err != nil {
			return fmt.Errorf("writing rejects: %w", err)
		}
		return nil
	}
	s.Written++
	s.BytesWritten += int64(len(r.JSON))
	b := w.origin(r)
	b = append(b, `,"json":`...)
	b = append(b, r.JSON...)
	b = append(b, "}\n"...)
	if _, err := w.Out.Write(b); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// origin starts a JSON line with the record's origin fields (no closing brace).
func (w *Writer) origin(r *Record) []byte {
	b := append(w.line[:0], '{')
	if r.Repo != "" {
		b = append(b, `"repo":`...)
		b = canon.AppendString(b, r.Repo)
		b = append(b, ',')
	}
	if r.Path != "" {
		b = append(b, `"path":`...)
		b = canon.AppendString(b, r.Path)
		b = append(b, ',')
	}
	b = append(b, `"source":`...)
	b = canon.AppendString(b, r.Source())
	if r.Line > 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, r.Line, 10)
	}
	if r.Content != nil {
		b = append(b, `,"sha256":"`...)
		b = append(b, r.SHA256()...)
		b = append(b, '"')
	}
	w.line = b
	return b
}
