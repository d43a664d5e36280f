package stages

import (
	"context"
	"sync"

	"github.com/tct-dev/tct/tokenizer"
)

// LearnDictionary counts string values and open-map keys per grammar node,
// for the tokenizer's learned dictionary. Workers count into learners of
// their own; Result merges them.
type LearnDictionary struct {
	Grammar *tokenizer.Grammar
	Skip    func(*Record) bool

	mu   sync.Mutex
	free []*tokenizer.DictLearner
	all  []*tokenizer.DictLearner
}

func (l *LearnDictionary) Name() string { return "learn" }

func (l *LearnDictionary) Process(_ context.Context, r *Record) error {
	if r.Done() || r.JSON == nil || l.Skip != nil && l.Skip(r) {
		return nil
	}
	l.mu.Lock()
	var d *tokenizer.DictLearner
	if n := len(l.free); n > 0 {
		d, l.free = l.free[n-1], l.free[:n-1]
	} else {
		d = l.Grammar.NewDictLearner()
		l.all = append(l.all, d)
	}
	l.mu.Unlock()
	repo := r.Repo
	if repo == "" {
		repo = r.Source()
	}
	_ = d.Observe(r.JSON, repo) // a document the grammar cannot encode counts nothing
	l.mu.Lock()
	l.free = append(l.free, d)
	l.mu.Unlock()
	return nil
}

// Result merges the workers' counts.
func (l *LearnDictionary) Result() *tokenizer.DictLearner {
	out := l.Grammar.NewDictLearner()
	for _, d := range l.all {
		out.Merge(d)
	}
	return out
}
