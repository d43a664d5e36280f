package stages

import "errors"

var errBadJSON = errors.New("malformed JSON")

// EachTopKey calls fn with the raw (still escaped) text of each top-level key
// of a compact JSON object, in order. It is meant for canonical JSON, where a
// key without special characters has no escapes.
func EachTopKey(doc []byte, fn func(key string)) error {
	if len(doc) < 2 || doc[0] != '{' {
		return errBadJSON
	}
	i := 1
	if doc[i] == '}' {
		return nil
	}
	for {
		if i >= len(doc) || doc[i] != '"' {
			return errBadJSON
		}
		end, err := skipString(doc, i)
		if err != nil {
			return err
		}
		fn(string(doc[i+1 : end-1]))
		if end >= len(doc) || doc[end] != ':' {
			return errBadJSON
		}
		if i, err = skipValueWS(doc, end+1); err != nil {
			return err
		}
		if i >= len(doc) {
			return errBadJSON
		}
		switch doc[i] {
		case ',':
			i++
		case '}':
			return nil
		default:
			return errBadJSON
		}
	}
}

// skipString returns the index just past the string starting at doc[i] == '"'.
func skipString(doc []byte, i int) (int, error) {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errBadJSON
}
