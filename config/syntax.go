package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// The YAML parser's errors name the token where it gave up, in its own
// terms ("value is not allowed in this context"). syntaxProblem turns the
// common ones into what is wrong in the file and how to fix it, placed
// where the fix goes: the line indented wrongly, the quote or bracket left
// open, the tab. It reads the file's lines around the token for the names
// and columns the message gives.

// syntaxRules map the parser's messages, by a part of them, to their
// explanations, which return false when the file is not what they expect.
// The first rule whose part the message holds explains it.
var syntaxRules = []struct {
	part    string
	explain func(*syntaxError) (token.Position, string, bool)
}{
	{"found character '\t' that cannot start any token", (*syntaxError).tab},
	{"found a tab character where an indentation space is expected", (*syntaxError).tab},
	{"tab character cannot use as", (*syntaxError).tab},
	{"mapping value is not allowed in this context", (*syntaxError).valueRunsOn},
	{"value is not allowed in this context. map key-value is pre-defined", (*syntaxError).afterQuote},
	{"value is not allowed in this context", (*syntaxError).misplaced},
	{"unexpected key name", (*syntaxError).missingColon},
	{"non-map value is specified", (*syntaxError).nonMap},
	{"block sequence entries are not allowed in this context", (*syntaxError).listOnKeyLine},
	{"could not find end character of double-quoted text", (*syntaxError).unclosedQuote},
	{"could not find end character of single-quoted text", (*syntaxError).unclosedQuote},
	{"sequence end token ']' not found", (*syntaxError).unclosed},
	{"could not find flow mapping end token '}'", (*syntaxError).unclosed},
	{"',' or ']' must be specified", (*syntaxError).missingComma},
	{"',' or '}' must be specified", (*syntaxError).missingComma},
	{"could not find '[' character corresponding to ']'", (*syntaxError).strayClose},
	{"could not find '{' character corresponding to '}'", (*syntaxError).strayClose},
	{"found unknown escape character", (*syntaxError).escape},
	{"is a reserved character", (*syntaxError).reserved},
	{"found an invalid key for this map", (*syntaxError).missingKey},
	{"unexpected scalar value type", (*syntaxError).emptyItem},
}

// syntaxError is an error of the parser, with the file it is about.
type syntaxError struct {
	lines []string
	tk    *token.Token // where the parser gave up
	msg   string       // what it said
}

// syntaxProblem returns where a syntax error err of the parser is in src,
// and a message that says what is wrong and how to fix it.
func syntaxProblem(err error, src []byte) (token.Position, string) {
	var yerr interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if !errors.As(err, &yerr) || yerr.GetToken() == nil || yerr.GetToken().Position == nil {
		return token.Position{Line: 1, Column: 1}, "YAML syntax: " + err.Error()
	}
	e := &syntaxError{lines: strings.Split(string(src), "\n"), tk: yerr.GetToken(), msg: yerr.GetMessage()}
	for _, r := range syntaxRules {
		if strings.Contains(e.msg, r.part) {
			if pos, msg, ok := r.explain(e); ok {
				return pos, msg
			}
			break
		}
	}
	return *e.tk.Position, "YAML syntax: " + e.msg +
		": check this line and the one above it; a value holding : # [ ] { } , & * ! | > ' \" % @ or ` needs quotes"
}

// line returns the file's line n, counting from 1, or "".
func (e *syntaxError) line(n int) string {
	if n < 1 || n > len(e.lines) {
		return ""
	}
	return e.lines[n-1]
}

// at returns the position of the token where the parser gave up.
func (e *syntaxError) at() token.Position { return *e.tk.Position }

// rest returns the text of the token's line from its column on, without
// a comment or surrounding spaces.
func (e *syntaxError) rest() string {
	text := e.line(e.tk.Position.Line)
	text = text[byteIndex(text, e.tk.Position.Column):]
	if i := strings.Index(text, " #"); i >= 0 {
		text = text[:i]
	}
	return strings.TrimSpace(text)
}

// byteIndex returns where column col (counting runes from 1) of text
// starts, or len(text).
func byteIndex(text string, col int) int {
	for i := range text {
		if col--; col < 1 {
			return i
		}
	}
	return len(text)
}

// column returns the column of the byte at index i of text.
func column(text string, i int) int { return utf8.RuneCountInString(text[:i]) + 1 }

// keyBefore returns the key whose value tk is, or nil.
func keyBefore(tk *token.Token) *token.Token {
	if p := tk.Prev; p != nil && p.Type == token.MappingValueType && p.Prev != nil && p.Prev.Position != nil {
		return p.Prev
	}
	return nil
}

// quoted returns s quoted as a YAML value: in double quotes, or single ones
// if it holds a double quote or a backslash.
func quoted(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// shape is how a line of a block collection starts: where its text starts,
// the columns of its list items' dashes, and the key after them, if any.
type shape struct {
	line, content int
	dashes        []int
	key           string
	keyCol        int
}

// shapeOf reads the shape of line n, text.
func shapeOf(n int, text string) shape {
	i := len(text) - len(strings.TrimLeft(text, " "))
	s := shape{line: n, content: i + 1}
	for i < len(text) && text[i] == '-' && (i+1 == len(text) || text[i+1] == ' ') {
		s.dashes = append(s.dashes, i+1)
		i++
		i += len(text[i:]) - len(strings.TrimLeft(text[i:], " "))
	}
	rest := text[i:]
	if k, _, ok := strings.Cut(rest, ": "); ok && k != "" && !strings.ContainsAny(k[:1], `{["'#`) {
		s.key, s.keyCol = k, i+1
	} else if k, ok := strings.CutSuffix(rest, ":"); ok && k != "" {
		s.key, s.keyCol = k, i+1
	}
	return s
}

// above returns the shapes of the lines that enclose line n: the nearest
// line above it with text, then each line above that is indented less
// than those before it, up to the first column.
func (e *syntaxError) above(n int) []shape {
	var out []shape
	least := math.MaxInt
	for l := n - 1; l >= 1 && least > 1; l-- {
		text := e.line(l)
		if t := strings.TrimSpace(text); t == "" || t[0] == '#' {
			continue
		}
		if s := shapeOf(l, text); s.content < least {
			out, least = append(out, s), s.content
		}
	}
	return out
}

// positionAt returns the position of line n, column col.
func positionAt(n, col int) token.Position { return token.Position{Line: n, Column: col} }

// itoa is strconv.Itoa, for messages.
func itoa(n int) string { return strconv.Itoa(n) }

// sprintf is fmt.Sprintf, true: the return of an explanation.
func sprintf(pos token.Position, format string, args ...any) (token.Position, string, bool) {
	return pos, fmt.Sprintf(format, args...), true
}
