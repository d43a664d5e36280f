// Package tokenizer is the schema-aware tokenizer (TCT, type-constrained
// tokenization). A JSON Schema is compiled into a Grammar; the encoder walks a
// canonical JSON document together with the grammar and emits base tokens
// whose meaning depends on the grammar state: a known key is one token, an
// enum value one token, a boolean one token, and braces and commas are
// implied. Free text is encoded byte by byte; BPE merges (Merges, one table
// per merge class) come on top.
//
// Main types: Grammar (compiled schema, base encoding via Grammar.Encode),
// Machine (the decoder, a state machine over the grammar that also answers
// which tokens may come next, as a Mask, for constrained generation),
// Tokenizer (grammar, merge tables and Layout: the whole encoding, saved as
// one JSON file) and its Encoder (content ids).
//
// The package knows JSON and JSON Schema only: no YAML, no Parquet.
package tokenizer
