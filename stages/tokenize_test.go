package stages

import (
	"context"
	"strings"
	"testing"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// A document nested deeper than the tokenizer goes is rejected as too_deep;
// the stage returns no error, so the run goes on.
func TestTokenizeRejectsTooDeep(t *testing.T) {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	st := &Tokenize{Tok: tok}
	deep := `{"jobs":{"a":{"runs-on":"x","steps":[{"run":"x","with":{"k":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}}]}},"on":"push"}`
	r := &Record{JSON: []byte(deep)}
	if err := st.Process(context.Background(), r); err != nil {
		t.Fatalf("the run must go on: %v", err)
	}
	if r.Reject == nil || r.Reject.Reason != ReasonTooDeep || !strings.Contains(r.Reject.Message, "606 deep") {
		t.Fatalf("reject: %+v", r.Reject)
	}
	ok := &Record{JSON: []byte(`{"jobs":{"a":{"runs-on":"x","steps":[{"run":"x"}]}},"on":"push"}`)}
	if err := st.Process(context.Background(), ok); err != nil || ok.Reject != nil || len(ok.Tokens) == 0 {
		t.Fatalf("a plain document: %v %+v", err, ok.Reject)
	}
}
