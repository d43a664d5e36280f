package stages

import "context"

// Convert turns each record's YAML into canonical JSON (see YAMLToJSON). It
// is stateless: run it on many workers, ordered.
type Convert struct {
	Limits ConvertLimits
}

func (c *Convert) Name() string { return "convert" }

func (c *Convert) Process(_ context.Context, r *Record) error {
	if r.Done() {
		return nil
	}
	out, err := YAMLToJSON(make([]byte, 0, len(r.Content)+len(r.Content)/4), r.Content, c.Limits)
	if err != nil {
		rej := err.(*Reject)
		r.Reject = rej
		return nil
	}
	r.JSON = out
	return nil
}
