package tokenizer

// ScratchAttribute calls f per id with the node path of the state at its start and the JSON it produced.
func (t *Tokenizer) ScratchAttribute(ids []int32, f func(path string, id int32, text []byte)) error {
	m := t.Grammar.NewMachine(false)
	for _, id := range ids {
		fr := m.top()
		n := fr.node
		k := "v"
		switch fr.kind {
		case fArray:
			n = n.items
		case fObject, fKey:
			k = "o"
		}
		before := len(m.out)
		if err := t.Advance(m, id); err != nil {
			return err
		}
		f(k+" "+n.Path, id, m.out[before:])
		if m.Done() {
			return nil
		}
	}
	return nil
}
