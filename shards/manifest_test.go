package shards_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tct-dev/tct/shards"
)

// A manifest written before the "complete" key is complete unless it
// records input errors.
func TestReadManifestOlderWithoutComplete(t *testing.T) {
	for _, c := range []struct {
		json     string
		complete bool
	}{
		{`{"format":"tct-shards","version":1,"inputs":["a"],"shards":[]}`, true},
		{`{"format":"tct-shards","version":1,"inputs":["a"],"input_errors":["a: unexpected EOF"],"shards":[]}`, false},
		{`{"format":"tct-shards","version":1,"complete":false,"shards":[]}`, false},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, shards.ManifestName), []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := shards.ReadManifest(dir)
		if c.complete != (err == nil) || (!c.complete && !errors.Is(err, shards.ErrIncomplete)) {
			t.Errorf("%s: %v", c.json, err)
		}
		m, err := shards.ReadManifestWith(dir, shards.ReadOptions{AllowIncomplete: true})
		if err != nil || m.Complete != c.complete {
			t.Errorf("%s allowed: %v, %+v", c.json, err, m)
		}
	}
}
