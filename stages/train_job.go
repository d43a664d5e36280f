package stages

import (
	"github.com/tct-dev/tct/tokenizer"
)

// DefaultClassOptions: the nodes with at least 1% of the free text each get
// a merge class, up to 8 classes, and each class two lexical states (after
// a letter or digit, and the rest): 16 tables. Measured on held-out
// repositories of the shared corpus at 8,192 ids: classes −8.6% tokens
// against one shared table, lexical states −7.0% more (three to five
// states: no further gain, the rarer tables run out of pairs).
func DefaultClassOptions() tokenizer.ClassOptions {
	return tokenizer.ClassOptions{Max: 8, MinShare: 0.01, Lex: 2}
}

// DefaultOverlearn: learn a quarter more merges than a table holds and keep
// the most used. Measured on held-out repositories of the shared corpus at
// 8,192 ids: −2.2% tokens (0.1: −1.4%, 0.5: the same as 0.25).
const DefaultOverlearn = 0.25

// DefaultRecall: recall slots of every string position (tokenizer/recall.go).
const DefaultRecall = 64

// DefaultDictOptions fill the 1,025-token base alphabet.
func DefaultDictOptions() tokenizer.DictOptions {
	return tokenizer.DictOptions{KeySlots: 128, EnumSlots: tokenizer.MaxAlphabet - int(tokenizer.KeyBase) - 128, MinRepos: 2, MinCount: 2, MaxLen: 256, Recall: DefaultRecall}
}
