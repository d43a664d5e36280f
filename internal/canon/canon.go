// Package canon writes canonical JSON scalars: strings with minimal escaping
// and numbers in one canonical form. The YAML converter and the tokenizer
// share it, so both produce the same bytes.
package canon

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrBadString is returned for a malformed JSON string body.
var ErrBadString = errors.New("malformed JSON string")

// AppendNumber writes f in the ECMAScript Number-to-String form (RFC 8785):
// the shortest digits that round-trip, plain notation for exponents in
// [-7, 21), otherwise d.ddde±x.
func AppendNumber(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // d.ddddde±XX
	mant, exp, _ := bytes.Cut(e, []byte("e"))
	digits := make([]byte, 0, len(mant))
	for _, ch := range mant {
		if ch != '.' {
			digits = append(digits, ch)
		}
	}
	x, _ := strconv.Atoi(string(exp))
	n := x + 1 // decimal point position relative to the digits
	k := len(digits)
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		for range n - k {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		dst = append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for range -n {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string with minimal escaping: `"`, `\` and
// control characters only (no HTML escaping, no \u2028 escaping).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Unquote decodes the body of a JSON string (between the quotes).
func Unquote(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, ErrBadString
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
			return nil, ErrBadString
		}
	}
	return out, nil
}

func hexRune(s []byte) (rune, int, error) {
	if len(s) < 4 {
		return 0, 0, ErrBadString
	}
	v, err := strconv.ParseUint(string(s[:4]), 16, 32)
	if err != nil {
		return 0, 0, ErrBadString
	}
	return rune(v), 4, nil
}
