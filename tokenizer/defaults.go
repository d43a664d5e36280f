package tokenizer

// The training defaults of `tct train-tokenizer` (the measurements behind
// them are in docs/tokenizer-notes.md).

// The defaults are the one-table tokenizer: one merge table, one lexical
// state, plain BPE merges, no recall. A model trained on it reached 21% fewer
// bits per byte than on the richer variant (16 state-dependent tables, pruned
// merges, recall), which compresses better (docs/tokenizer.md); the rich
// variant stays behind flags (RichClassOptions, RichOverlearn, RichRecall).

// DefaultClassOptions: one merge table shared by every node, ids with one
// meaning wherever merges apply.
func DefaultClassOptions() ClassOptions {
	return ClassOptions{Max: 1, MinShare: 0.01, Lex: 1}
}

// DefaultOverlearn: plain BPE (no pruning).
const DefaultOverlearn = 0.0

// DefaultRecall: no recall slots (a recall id can point before its window).
const DefaultRecall = 0

// RichClassOptions: a merge class for each node with at least 1% of the free
// text (up to 8), each with two lexical states: 16 tables
// (`--classes 8 --lex-states 2`).
func RichClassOptions() ClassOptions {
	return ClassOptions{Max: 8, MinShare: 0.01, Lex: 2}
}

// RichOverlearn: learn a quarter more merges than a table holds and keep the
// most used (see PruneTables; `--overlearn 0.25`).
const RichOverlearn = 0.25

// RichRecall: recall slots of every string position (`--recall 64`).
const RichRecall = 64

// DefaultDictOptions fill the 1,025-token base alphabet.
func DefaultDictOptions() DictOptions {
	return DictOptions{KeySlots: 128, EnumSlots: MaxAlphabet - int(KeyBase) - 128, MinRepos: 2, MinCount: 2, MaxLen: 256, Recall: DefaultRecall}
}
