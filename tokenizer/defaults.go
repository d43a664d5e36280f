package tokenizer

// The training defaults of `tct train-tokenizer` (the measurements behind
// them are in docs/tokenizer-notes.md).

// DefaultClassOptions: a merge class for each node with at least 1% of the
// free text (up to 8), each with two lexical states: 16 tables.
func DefaultClassOptions() ClassOptions {
	return ClassOptions{Max: 8, MinShare: 0.01, Lex: 2}
}

// DefaultOverlearn: learn a quarter more merges than a table holds and keep
// the most used (see PruneTables).
const DefaultOverlearn = 0.25

// DefaultRecall is the number of recall slots of every string position.
const DefaultRecall = 64

// DefaultDictOptions fill the 1,025-token base alphabet.
func DefaultDictOptions() DictOptions {
	return DictOptions{KeySlots: 128, EnumSlots: MaxAlphabet - int(KeyBase) - 128, MinRepos: 2, MinCount: 2, MaxLen: 256, Recall: DefaultRecall}
}
