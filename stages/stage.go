package stages

import "context"

// Stage is one step a record goes through. Process updates the record in
// place; it skips records that are already Done. An error is fatal to the
// run (a record's own problems are Rejects, not errors).
type Stage interface {
	Name() string
	Process(ctx context.Context, r *Record) error
}
