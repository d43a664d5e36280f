// Package stages holds the pipeline's stages, one per file: dump readers, the
// workflow filter, exact dedup, YAML→canonical JSON, the workflow check and the
// writers. Every record that a reader produces flows to the end: a stage that
// rejects a record marks it and passes it on, so the final stage alone does
// the accounting and nothing can be lost between stages.
package stages

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Origin says where a record came from.
type Origin struct {
	// Dump is the input file (or directory) the record was read from.
	Dump string
	// Member is the archive member or file path inside Dump, if any.
	Member string
	// Line is the 1-based line (JSONL) or row (Parquet) number, if any.
	Line int64
	// Repo and Path are the repository ("owner/name") and the file's path in it, when known.
	Repo string
	Path string
}

// Source names the record for humans and for the output's `source` field:
// the dump file and the member or line inside it.
func (o Origin) Source() string {
	switch {
	case o.Member != "":
		return o.Dump + ":" + o.Member
	case o.Line > 0:
		return o.Dump + ":" + strconv.FormatInt(o.Line, 10)
	default:
		return o.Dump
	}
}

// Reject codes. They are stable: rejects.jsonl and summaries use them.
const (
	ReasonBadRecord       = "bad_record"        // the dump record itself is malformed (bad JSON line, no content)
	ReasonNotWorkflowPath = "not_workflow_path" // the path is not a workflow file
	ReasonTooLarge        = "too_large"         // content over the size limit
	ReasonBadSymlink      = "bad_symlink"       // a link in a directory dump that is dangling, loops, leaves the dump or is no file
	ReasonEmpty           = "empty"             // no YAML document
	ReasonYAMLSyntax      = "yaml_syntax"       // the YAML parser failed
	ReasonMultiDocument   = "multi_document"    // more than one YAML document (GitHub rejects these too)
	ReasonDuplicateKey    = "duplicate_key"     // a mapping repeats a key
	ReasonComplexKey      = "complex_key"       // a mapping key that is itself a mapping or sequence
	ReasonAliasLimit      = "alias_limit"       // aliases expand past the size cap (alias bomb)
	ReasonTooDeep         = "too_deep"          // nesting past the depth cap
	ReasonNotWorkflow     = "not_workflow"      // not a mapping with `on` and `jobs`
	ReasonEncode          = "encode_error"      // the tokenizer could not encode the canonical JSON
)

// Reject explains why a record was not written.
type Reject struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (r *Reject) Error() string { return r.Reason + ": " + r.Message }

// Record is one input record on its way through the pipeline.
type Record struct {
	// Seq is the record's 0-based position in the input; output keeps this order.
	Seq int64
	Origin
	// Content is the file exactly as stored.
	Content []byte
	// Sum is the sha256 of Content, set by the dedup stage.
	Sum [32]byte
	// JSON is the canonical JSON document, set by the convert stage.
	JSON []byte
	// Tokens are the document's content ids, set by the tokenize stage.
	Tokens []int32
	// Reject is set when a stage rejected the record; later stages pass it on untouched.
	Reject *Reject
	// Duplicate is set when an earlier record had the same content.
	Duplicate bool
}

// Done reports whether the record has already reached its final state.
func (r *Record) Done() bool { return r.Reject != nil || r.Duplicate }

// Fail marks the record rejected.
func (r *Record) Fail(reason, msg string) { r.Reject = &Reject{Reason: reason, Message: msg} }

// SHA256 is the hex sha256 of the original content.
func (r *Record) SHA256() string {
	if r.Sum == ([32]byte{}) {
		r.Sum = sha256.Sum256(r.Content)
	}
	return hex.EncodeToString(r.Sum[:])
}
