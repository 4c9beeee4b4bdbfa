// Package jsonquote quotes strings exactly as encoding/json does, byte for byte,
// without its reflection: the content hash of a command and the stored commit are
// both made of quoted strings, and both must stay the bytes encoding/json made of
// them when they were first written.
package jsonquote

import "unicode/utf8"

// plain[html][b] is whether the ASCII byte b is written as itself: not a control
// character, a quote or a backslash, and, with HTML escaping, not <, > or &.
var plain = func() (t [2][utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[0][b] = b != '"' && b != '\\'
		t[1][b] = t[0][b] && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// Append appends s quoted as encoding/json quotes a string: \b, \f, \n, \r, \t, \"
// and \\ as short escapes, other control characters as \u00xx, U+2028 and U+2029
// escaped, invalid UTF-8 as \ufffd, and with escapeHTML (what json.Marshal does; an
// Encoder after SetEscapeHTML(false) does not) <, > and & as \u003c, \u003e, \u0026.
// Go 1.22 and later; FuzzAppendAsEncodingJSON holds the two to the same bytes.
func Append(dst []byte, s string, escapeHTML bool) []byte {
	const hexDigits = "0123456789abcdef"
	safe := &plain[0]
	if escapeHTML {
		safe = &plain[1]
	}
	dst = append(dst, '"')
	start := 0
	i := plainPrefix(s, escapeHTML)
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

// Eight bytes at a time: most strings (ids, hashes, dates, amounts) need no escape
// at all, and testing a byte at a time was a quarter of printing a commit.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasByte reports whether a byte of w is c.
func hasByte(w uint64, c byte) bool {
	x := w ^ (ones * uint64(c))
	return (x-ones)&^x&highs != 0
}

// plainPrefix is how many leading bytes of s, in whole words of eight, are written
// as themselves: ASCII from 0x20, not '"' or '\\' (nor '<', '>', '&' with
// escapeHTML). The byte loop of Append takes it from there.
func plainPrefix(s string, escapeHTML bool) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte under 0x20 (w has no high bits here, so the subtraction borrows
		// only out of such a byte), or one with its high bit set.
		if w&highs != 0 || (w-ones*0x20)&highs != 0 || hasByte(w, '"') || hasByte(w, '\\') {
			break
		}
		if escapeHTML && (hasByte(w, '<') || hasByte(w, '>') || hasByte(w, '&')) {
			break
		}
	}
	return i
}
