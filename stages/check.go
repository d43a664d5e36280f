package stages

import (
	"context"
	"fmt"
)

// CheckWorkflow rejects documents that are not a mapping with `on` and `jobs`.
type CheckWorkflow struct{}

func (CheckWorkflow) Name() string { return "check" }

func (CheckWorkflow) Process(_ context.Context, r *Record) error {
	if r.Done() {
		return nil
	}
	if msg := workflowProblem(r.JSON); msg != "" {
		r.Fail(ReasonNotWorkflow, msg)
		r.JSON = nil
	}
	return nil
}

// workflowProblem says what keeps a canonical JSON document from being a
// workflow, or "" if it is one.
func workflowProblem(doc []byte) string {
	if len(doc) == 0 || doc[0] != '{' {
		return fmt.Sprintf("the document is %s, not a mapping", jsonKind(doc))
	}
	hasOn, hasJobs := false, false
	err := EachTopKey(doc, func(key string) {
		switch key {
		case "on":
			hasOn = true
		case "jobs":
			hasJobs = true
		}
	})
	switch {
	case err != nil:
		return err.Error()
	case !hasOn && !hasJobs:
		return "no `on` and no `jobs` key"
	case !hasOn:
		return "no `on` key"
	case !hasJobs:
		return "no `jobs` key"
	}
	return ""
}

func jsonKind(doc []byte) string {
	if len(doc) == 0 {
		return "empty"
	}
	switch doc[0] {
	case '[':
		return "a sequence"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}
