package jobs

import (
	"fmt"
	"path/filepath"

	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/tokenizer"
)

// SampleDocument decodes the first window of the first document (of the
// window shards in manifest order) that fits in one window and says where
// it came from. doc is nil when no such window exists.
func SampleDocument(dir string, m *shards.Manifest, tok *tokenizer.Tokenizer) (doc []byte, where string, err error) {
	for _, s := range m.Shards {
		if s.Kind != "windows" {
			continue
		}
		rows, err := firstSegments(filepath.Join(dir, s.Name), m.Packed(s.Split))
		if err != nil {
			return nil, "", err
		}
		for _, r := range rows {
			if r.Start != 0 {
				continue
			}
			doc, consumed, err := tok.Decode(r.Tokens[1:r.Valid])
			if err != nil {
				continue // a document longer than the window
			}
			return doc, fmt.Sprintf("window 0 of document %d (%s, %d of %d ids valid, %d decoded)", r.DocID, s.Name, r.Valid, len(r.Tokens), consumed), nil
		}
	}
	return nil, "", nil
}

// firstSegments reads the first 64 windows of a shard; of a packed one,
// only their first segment (Valid is where it ends).
func firstSegments(path string, packed bool) ([]shards.WindowRow, error) {
	if !packed {
		return shards.ReadRows[shards.WindowRow](path, 64)
	}
	rows, err := shards.ReadRows[shards.PackedRow](path, 64)
	if err != nil {
		return nil, err
	}
	out := make([]shards.WindowRow, len(rows))
	for i, r := range rows {
		n := r.Valid // the first segment ends where the second starts
		if len(r.Starts) > 1 {
			n = r.Starts[1]
		}
		out[i] = shards.WindowRow{Tokens: r.Tokens, DocID: r.DocID, Start: r.Start, Valid: n}
	}
	return out, nil
}
