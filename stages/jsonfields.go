package stages

import (
	"errors"
	"github.com/tct-dev/tct/internal/canon"
)

// Field kinds reported by topFields.
const (
	fieldAbsent = iota
	fieldString
	fieldNull
	fieldOther
)

// topFields finds the string values of up to three named top-level fields
// of a JSON object that is already known to be valid (json.Valid), without
// building a map or decoding the other fields. kinds[i] says whether
// names[i] was absent, a string (in vals[i]), null, or another type.
func topFields(line []byte, names [3]string) (vals [3][]byte, kinds [3]uint8, err error) {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return vals, kinds, errNotObject
	}
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		return vals, kinds, nil
	}
	for i < len(line) {
		end, err := skipString(line, i)
		if err != nil {
			return vals, kinds, err
		}
		key := line[i+1 : end-1]
		i = skipWS(line, end)
		i = skipWS(line, i+1) // ':'
		slot := -1
		for n, name := range names {
			if name != "" && string(key) == name { // keys with escapes never match a plain name; fine for field names
				slot = n
			}
		}
		var vend int
		if line[i] == '"' {
			if vend, err = skipString(line, i); err != nil {
				return vals, kinds, err
			}
			if slot >= 0 {
				kinds[slot] = fieldString
				if vals[slot], err = canon.Unquote(line[i+1 : vend-1]); err != nil {
					return vals, kinds, err
				}
			}
		} else {
			if vend, err = skipValueWS(line, i); err != nil {
				return vals, kinds, err
			}
			if slot >= 0 {
				kinds[slot] = fieldOther
				if line[i] == 'n' {
					kinds[slot] = fieldNull
				}
			}
		}
		i = skipWS(line, vend)
		if i >= len(line) || line[i] == '}' {
			break
		}
		i = skipWS(line, i+1) // ','
	}
	return vals, kinds, nil
}

var errNotObject = errors.New("not a JSON object")

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipValueWS returns the index just past the JSON value at b[i] (which
// may contain insignificant white space).
func skipValueWS(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errBadJSON
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\n' {
		j++
	}
	if j == i {
		return 0, errBadJSON
	}
	return j, nil
}
