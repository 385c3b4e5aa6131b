package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// excerptWidth is how many characters of a line an excerpt shows at most.
const excerptWidth = 120

// Excerpt returns the problem's line of the file and, under it, a caret at
// its column, each behind the line's number (right-aligned in 5 columns):
//
//	4 |       restart: permanent
//	  |       ^
//
// The line is escaped as Message is, but for tabs, which the caret's line
// repeats so that the caret lines up; a line longer than 120 characters is
// cut around the column. Excerpt returns "" for a problem without a Source.
func (p Problem) Excerpt() string {
	if p.Source == "" || p.Line < 1 {
		return ""
	}
	cells := sourceCells(p.Source)
	col := min(max(p.Column, 1), len(cells)+1)
	start, end := 0, len(cells)
	if len(cells) > excerptWidth {
		start = max(0, min(col-1-excerptWidth/2, len(cells)-excerptWidth))
		end = start + excerptWidth
	}
	var text, caret strings.Builder
	if start > 0 {
		text.WriteString("…")
		caret.WriteByte(' ')
	}
	for i, c := range cells[start:end] {
		text.WriteString(c)
		switch {
		case start+i >= col-1:
		case c == "\t":
			caret.WriteByte('\t')
		default:
			caret.WriteString(strings.Repeat(" ", utf8.RuneCountInString(c)))
		}
	}
	if end < len(cells) {
		text.WriteString("…")
	}
	w := max(5, len(strconv.Itoa(p.Line)))
	return fmt.Sprintf("%*d | %s\n%*s | %s^", w, p.Line, text.String(), w, "", caret.String())
}

// sourceCells splits a line into what each of its columns shows: a
// character, or its escape if a message must not show it as it is (a byte
// that is not UTF-8 takes a column of its own, as the decoder counts).
func sourceCells(line string) []string {
	var cells []string
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			cells = append(cells, fmt.Sprintf(`\x%02x`, line[i]))
		case r == '\t':
			cells = append(cells, "\t")
		default:
			cells = append(cells, escapeText(line[i:i+size]))
		}
		i += size
	}
	return cells
}
