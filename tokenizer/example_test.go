package tokenizer_test

import (
	"fmt"

	"github.com/tct-dev/tct/configs"
	"github.com/tct-dev/tct/tokenizer"
)

// Encode a workflow (canonical JSON) into content ids and decode it back.
func Example() {
	tok, err := tokenizer.Parse(configs.Tokenizer)
	if err != nil {
		panic(err)
	}
	doc := []byte(`{"name":"CI","on":["push","pull_request"],"jobs":{"test":{"runs-on":"ubuntu-latest","steps":[{"uses":"actions/checkout@v4"},{"run":"npm ci"},{"run":"npm test"}]}}}`)
	ids, stats, err := tok.NewEncoder().Encode(nil, doc)
	if err != nil {
		panic(err)
	}
	back, consumed, err := tok.Decode(ids)
	fmt.Println(len(doc), "bytes of JSON")
	fmt.Println(len(ids) < 25, "fewer than 25 tokens")
	fmt.Println(stats.Fallback, "values off the schema")
	fmt.Println(string(back) == string(doc), consumed == len(ids), err)
	// Output:
	// 163 bytes of JSON
	// true fewer than 25 tokens
	// 0 values off the schema
	// true true <nil>
}

// The model vocabulary: content ids, PAD, then position tokens; no range overlaps.
func ExampleLayout() {
	l := tokenizer.NewLayout(8192, 512)
	fmt.Printf("content [0,%d) pad %d positions [%d,%d) model vocab %d\n",
		l.Content, l.PAD, l.PositionBase, l.PositionBase+l.PositionCount, l.ModelVocab)
	fmt.Println("window starting at token 1000 begins with", l.Position(1000))
	// Output:
	// content [0,8192) pad 8192 positions [8193,8705) model vocab 8832
	// window starting at token 1000 begins with 8704
}
