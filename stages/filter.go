package stages

import (
	"context"
	"fmt"
	"regexp"
)

// DefaultWorkflowPath matches workflow files, also nested ones
// (`sub/project/.github/workflows/ci.yml`).
const DefaultWorkflowPath = `(^|/)\.github/workflows/[^/]+\.ya?ml$`

// Filter keeps workflow files: by path when the record has one, and by size.
// A record without a path passes here; the workflow check after conversion
// decides (a mapping with `on` and `jobs`).
type Filter struct {
	Path    *regexp.Regexp // nil: accept every path
	MaxSize int64          // 0: no limit
}

// NewFilter compiles the path pattern ("" accepts every path).
func NewFilter(pattern string, maxSize int64) (*Filter, error) {
	f := &Filter{MaxSize: maxSize}
	if pattern != "" {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("workflow path pattern %q: %w", pattern, err)
		}
		f.Path = re
	}
	return f, nil
}

func (f *Filter) Name() string { return "filter" }

func (f *Filter) Process(_ context.Context, r *Record) error {
	if r.Done() {
		return nil
	}
	if name := r.filePath(); f.Path != nil && name != "" && !f.Path.MatchString(name) {
		r.Fail(ReasonNotWorkflowPath, fmt.Sprintf("%q does not match %s", name, f.Path))
		return nil
	}
	if f.MaxSize > 0 && int64(len(r.Content)) > f.MaxSize {
		r.Fail(ReasonTooLarge, fmt.Sprintf("%d bytes, limit %d", len(r.Content), f.MaxSize))
		r.Content = nil
	}
	return nil
}

// filePath is the path the filter judges: the repository path, else the member name.
func (r *Record) filePath() string {
	if r.Path != "" {
		return r.Path
	}
	return r.Member
}
