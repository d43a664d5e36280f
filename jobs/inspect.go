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
		rows, err := shards.ReadRows[shards.WindowRow](filepath.Join(dir, s.Name), 64)
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
