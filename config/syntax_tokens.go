package config

import (
	"strings"

	"github.com/goccy/go-yaml/token"
)

// The explanations of the parser's errors about what a line holds: colons,
// quotes, brackets, escapes and reserved characters.

// missingColon explains a line of a mapping that is no key: a colon
// without the space after it, or no colon at all.
func (e *syntaxError) missingColon() (token.Position, string, bool) {
	text := e.rest()
	if i := strings.IndexByte(text, ':'); i > 0 && i+1 < len(text) && text[i+1] != ' ' {
		return sprintf(e.at(), "%s needs a space after the colon: write %s: %s", text, text[:i], text[i+1:])
	}
	fields := strings.Fields(text)
	switch len(fields) {
	case 0:
		return token.Position{}, "", false
	case 1:
		return sprintf(e.at(), "%q is not a key and a value: write %s: and its value", text, text)
	}
	return sprintf(e.at(), "%q is not a key and a value: write %s: %s, with a colon after the key",
		text, fields[0], strings.Join(fields[1:], " "))
}

// afterQuote explains text after a quoted string's closing quote.
func (e *syntaxError) afterQuote() (token.Position, string, bool) {
	return sprintf(e.at(), "text follows the closing quote of the string before it: put it inside the quotes "+
		"(write \\\" for a \" inside a double-quoted string), or remove it")
}

// unclosedQuote explains a quoted string without its closing quote.
func (e *syntaxError) unclosedQuote() (token.Position, string, bool) {
	if strings.Contains(e.msg, "single-quoted") {
		return sprintf(e.at(), "the ' opening this string is never closed: end the string with ', and write '' for a ' inside it")
	}
	return sprintf(e.at(), "the \" opening this string is never closed: end the string with \", and write \\\" for a \" inside it")
}

// unclosed explains a [ or { without its closing bracket, at the token
// that opens it.
func (e *syntaxError) unclosed() (token.Position, string, bool) {
	if e.tk.Type == token.MappingStartType {
		return sprintf(e.at(), "the { opening this mapping is never closed: add } after its last key and value")
	}
	return sprintf(e.at(), "the [ opening this list is never closed: add ] after its last item")
}

// missingComma explains an item of a [ ] list or a { } mapping followed by
// neither a comma nor the closing bracket: it places the problem right
// after the item, and names where the list or mapping opens.
func (e *syntaxError) missingComma() (token.Position, string, bool) {
	open := opener(e.tk)
	prev := e.tk.Prev
	if open == nil || open.Position == nil || prev == nil || prev.Position == nil {
		return token.Position{}, "", false
	}
	text, _, _ := strings.Cut(strings.TrimLeft(prev.Origin, " "), "\n")
	end := positionAt(prev.Position.Line, prev.Position.Column+len([]rune(strings.TrimRight(text, " "))))
	if open.Type == token.MappingStartType {
		return sprintf(end, "a , or } is missing here: the mapping opened with { at line %d, column %d takes a , between its keys and a } after the last",
			open.Position.Line, open.Position.Column)
	}
	return sprintf(end, "a , or ] is missing here: the list opened with [ at line %d, column %d takes a , between items and a ] after the last",
		open.Position.Line, open.Position.Column)
}

// opener returns the [ or { that the flow collection tk is in opens.
func opener(tk *token.Token) *token.Token {
	depth := 0
	for t := tk.Prev; t != nil; t = t.Prev {
		switch t.Type {
		case token.SequenceEndType, token.MappingEndType:
			depth++
		case token.SequenceStartType, token.MappingStartType:
			if depth == 0 {
				return t
			}
			depth--
		}
	}
	return nil
}

// strayClose explains a ] or } that closes nothing.
func (e *syntaxError) strayClose() (token.Position, string, bool) {
	if e.tk.Value == "}" {
		return sprintf(e.at(), "this } closes no {: remove it")
	}
	return sprintf(e.at(), "this ] closes no [: remove it")
}

// escape explains a backslash in a double-quoted string that starts no
// escape, at the backslash.
func (e *syntaxError) escape() (token.Position, string, bool) {
	_, c, _ := strings.Cut(e.msg, "'")
	c, _, _ = strings.Cut(c, "'")
	pos := e.at()
	text := e.line(pos.Line)
	if i := strings.LastIndex(text[:byteIndex(text, pos.Column+len(c))], `\`+c); i >= 0 {
		pos = positionAt(pos.Line, column(text, i))
	}
	return sprintf(pos, "\\%s is not an escape of a double-quoted string: write \\\\ for a backslash, or single-quote the string, in which \\ is plain", c)
}

// reserved explains a plain value that starts with @ or `.
func (e *syntaxError) reserved() (token.Position, string, bool) {
	rest := e.rest()
	if rest == "" {
		return token.Position{}, "", false
	}
	return sprintf(e.at(), "%s cannot start a plain value: quote it, as in %s", rest[:1], quoted(rest))
}

// emptyItem explains two commas of a [ ] list with nothing between them.
func (e *syntaxError) emptyItem() (token.Position, string, bool) {
	if e.tk.Type != token.CollectEntryType {
		return token.Position{}, "", false
	}
	return sprintf(e.at(), "two commas with no item between them: remove one, or write the item between them")
}

// missingKey explains a colon with no key before it.
func (e *syntaxError) missingKey() (token.Position, string, bool) {
	return sprintf(e.at(), "a key is missing before this colon: write the key, as in name: app")
}
