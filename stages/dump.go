package stages

import "context"

// ReadOptions configure the dump readers.
type ReadOptions struct {
	// ContentField, RepoField and PathField name the JSONL fields / Parquet columns.
	ContentField string
	RepoField    string
	PathField    string
	// RepoDepth is how many leading path components of a directory-tree or tar
	// member form the repository name ("owner/name" = 2); 0 means none.
	RepoDepth int
	// MaxSize is the largest content accepted; larger files are emitted as
	// rejected (too_large) without their content being read where the format allows.
	MaxSize int64
}

// DefaultReadOptions match the shared corpus and The Stack-style dumps.
func DefaultReadOptions() ReadOptions {
	return ReadOptions{ContentField: "content", RepoField: "repo", PathField: "path", RepoDepth: 2, MaxSize: 1 << 20}
}

// Dump is one input: a directory tree, an archive, a JSONL or a Parquet file.
type Dump interface {
	// Name is the path the user gave.
	Name() string
	// Records calls emit for every record in input order. A malformed record
	// is emitted rejected (bad_record); a corrupt file is an error naming the
	// file and offset, returned after everything before it was emitted.
	Records(ctx context.Context, emit func(*Record) error) error
}
