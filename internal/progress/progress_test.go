package progress

import (
	"testing"
	"time"

	"github.com/tct-dev/tct/pipeline"
)

func TestDescribe(t *testing.T) {
	got := describe([]pipeline.StageCount{
		{Name: "read", Out: 100},
		{Name: "convert", In: 50},
		{Name: "write", In: 20},
	}, 2*time.Second)
	if want := "convert 50 (25/s) write 20 (10/s)"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got := describe([]pipeline.StageCount{{Name: "read"}}, 0); got != "" {
		t.Errorf("describe with only a source = %q, want empty", got)
	}
}
