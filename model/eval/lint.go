package eval

import (
	"bytes"
	"fmt"
	"io"

	"github.com/rhysd/actionlint"

	"github.com/tct-dev/tct/internal/canon"
)

// Linter runs actionlint, the linter workflow authors run, on a document
// (its YAML rendering): expression syntax, action inputs, needs, runners...
// External checkers (shellcheck, pyflakes) stay off: the result does not
// depend on what the machine has installed.
type Linter struct{ l *actionlint.Linter }

// NewLinter makes a linter that writes nothing.
func NewLinter() (*Linter, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		return nil, fmt.Errorf("actionlint: %w", err)
	}
	return &Linter{l: l}, nil
}

// Lint returns the kinds of the errors actionlint finds in a canonical JSON
// workflow (none: the workflow is clean).
func (x *Linter) Lint(doc []byte) ([]string, error) {
	var y bytes.Buffer
	if err := canon.WriteDoc(&y, doc, "yaml"); err != nil {
		return nil, err
	}
	errs, err := x.l.Lint("sample.yml", y.Bytes(), nil)
	if err != nil {
		return nil, err
	}
	kinds := make([]string, len(errs))
	for i, e := range errs {
		kinds[i] = e.Kind
	}
	return kinds, nil
}
