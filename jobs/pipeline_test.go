package jobs

import (
	"testing"

	"github.com/tct-dev/tct/shards"
)

// The defaults are those of the embedded configs/pipeline.yaml.
func TestDefaultShardConfig(t *testing.T) {
	want := shards.Config{Context: 512, Stride: 0, SplitBy: "repo", ValFraction: 0.05, Seed: 1, ShardBytes: 128 << 20, RowGroupRows: 2048, Pack: true}
	if got := DefaultShardConfig(); got != want {
		t.Errorf("DefaultShardConfig() = %+v, want %+v", got, want)
	}
}

// A config file sets only the keys it names; an unknown key is an error.
func TestApplyPipelineYAML(t *testing.T) {
	c := DefaultShardConfig()
	if err := ApplyPipelineYAML([]byte("context: 128\nval_fraction: 0.25 # a comment\n"), &c); err != nil {
		t.Fatal(err)
	}
	want := DefaultShardConfig()
	want.Context, want.ValFraction = 128, 0.25
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if err := ApplyPipelineYAML([]byte("# nothing\n"), &c); err != nil || c != want {
		t.Errorf("empty file: %v, %+v", err, c)
	}
	for _, bad := range []string{"contxt: 64\n", "context: [1]\n", "- 1\n"} {
		if err := ApplyPipelineYAML([]byte(bad), &c); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
