package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// A YAML file is UTF-8 text of printable characters, tabs and line breaks:
// the parser replaces a byte that is not UTF-8 with U+FFFD and passes
// control characters on, so that a name would silently change, or hold
// bytes that a terminal reads as commands. The decoder refuses such a file,
// at the place of each, and escapes the text of the file it echoes in a
// message, as Go quotes strings, so that no message holds them either.

// maxTextProblems is how many lines with a character YAML does not allow
// are reported: a binary file has them on every line.
const maxTextProblems = 10

// checkText reports the first character YAML does not allow on each line
// of data, and reports whether there is none.
func (d *decoder) checkText(data []byte) bool {
	line, col, found := 1, 1, 0
	for i := 0; i < len(data) && found < maxTextProblems; {
		r, size := utf8.DecodeRune(data[i:])
		if msg := textProblem(r, size, data[i]); msg != "" {
			d.problemAt("", token.Position{Line: line, Column: col}, "%s", msg)
			found++
			for i < len(data) && data[i] != '\n' { // one problem a line
				i++
			}
			continue
		}
		i, col = i+size, col+1
		if r == '\n' {
			line, col = line+1, 1
		}
	}
	if found > 0 {
		d.markFailed("") // the file is not text the parser can be trusted with
	}
	return found == 0
}

// textProblem says what is wrong with the rune r, of size bytes starting
// with b, in a YAML file, or returns "". YAML allows tab, line breaks and
// printable characters, which exclude the C0 controls, DEL, the C1
// controls but NEL, U+FFFE and U+FFFF.
func textProblem(r rune, size int, b byte) string {
	switch {
	case r == utf8.RuneError && size <= 1:
		return fmt.Sprintf("byte %#x is not UTF-8, which a YAML file is written in: save the file as UTF-8", b)
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return ""
	case r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0xfffe || r == 0xffff:
		return fmt.Sprintf("control character U+%04X is not allowed in a YAML file: remove it, or write it as %s in a double-quoted string",
			r, strconv.Quote(string(r)))
	}
	return ""
}

// unprintable returns the first rune of s that a message must not show as
// it is: a control or invisible character, or a byte that is not UTF-8
// (as utf8.RuneError).
func unprintable(s string) (rune, bool) {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return r, true
		}
	}
	return 0, false
}

// keyText returns a key of the file as a message or a path shows it: as it
// is, or quoted as Go quotes a string if it holds a character a message
// must not show as it is.
func keyText(key string) string {
	if _, ok := unprintable(key); ok {
		return strconv.Quote(key)
	}
	return key
}

// escapeText escapes the characters of a message that it must not show as
// they are, as Go quotes them ("\x1b", "\u202e"), leaving the rest,
// quoted text included, alone.
func escapeText(msg string) string {
	if _, ok := unprintable(msg); !ok {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, msg[i])
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(msg[i : i+size])
		}
		i += size
	}
	return b.String()
}
