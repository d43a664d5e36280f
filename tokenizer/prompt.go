package tokenizer

// EncodeOpen encodes a partial workflow as a prompt: the document's tokens
// without the brackets that close it at the end, and without a last null
// value (`steps:` with nothing after it), so that generation continues
// inside the innermost open object or list.
func (e *Encoder) EncodeOpen(doc []byte) ([]int32, error) {
	if e.t.Text != nil {
		return e.t.Text.Encode(nil, doc), nil
	}
	enc, err := e.t.Grammar.EncodeClassed(Classed{Tokens: e.base, Bounds: e.bounds, Classes: e.classes}, doc)
	e.base, e.bounds, e.classes = enc.Tokens, enc.Bounds, enc.Classes
	if err != nil {
		return nil, err
	}
	n := len(e.base)
	for n > 0 && (e.base[n-1] == TokEndObj || e.base[n-1] == TokEndArr) {
		n--
	}
	if n > 0 && e.base[n-1] == TokNull {
		n--
		if n > 0 && e.base[n-1] == TokEsc { // null did not fit the schema there: drop its escape too
			n--
		}
	}
	var ids []int32
	start := 0
	for _, end := range e.bounds {
		if int(end) > n {
			end = int32(n)
		}
		if int(end) > start {
			ids = e.shortest(ids, e.base[start:end], e.classes[start:end])
		}
		if start = int(end); start >= n {
			break
		}
	}
	return ids, nil
}
