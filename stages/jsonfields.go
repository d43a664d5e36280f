package stages

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
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
				if vals[slot], err = unquoteJSON(line[i+1 : vend-1]); err != nil {
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

// skipValueWS skips a non-string value that may contain insignificant white space.
func skipValueWS(b []byte, i int) (int, error) {
	switch b[i] {
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
	return j, nil
}

// unquoteJSON decodes the body of a JSON string (between the quotes).
func unquoteJSON(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, errBadJSON
		}
		switch s[i] {
		case '"', '\\', '/':
			out = append(out, s[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, n, err := hexRune(s[i+1:])
			if err != nil {
				return nil, err
			}
			i += n
			if utf16.IsSurrogate(r) {
				// A surrogate pair is two escapes; a lone half becomes U+FFFD, as encoding/json does.
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2, n2, err := hexRune(s[i+3:]); err == nil {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 2 + n2
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errBadJSON
		}
	}
	return out, nil
}

func hexRune(s []byte) (rune, int, error) {
	if len(s) < 4 {
		return 0, 0, errBadJSON
	}
	v, err := strconv.ParseUint(string(s[:4]), 16, 32)
	if err != nil {
		return 0, 0, errBadJSON
	}
	return rune(v), 4, nil
}
