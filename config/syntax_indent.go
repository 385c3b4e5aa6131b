package config

import (
	"strings"

	"github.com/goccy/go-yaml/token"
)

// The explanations of the parser's errors about indentation: tabs, and
// keys and list items that line up with nothing above them.

// tab explains a tab where YAML wants spaces.
func (e *syntaxError) tab() (token.Position, string, bool) {
	for n := e.tk.Position.Line; n <= e.tk.Position.Line+1; n++ {
		text := e.line(n)
		i := strings.IndexByte(text, '\t')
		if i < 0 {
			continue
		}
		if strings.Trim(text[:i], " -") == "" {
			return sprintf(positionAt(n, column(text, i)), "a tab indents this line: YAML indents with spaces only; replace the tab with spaces")
		}
		return sprintf(positionAt(n, column(text, i)), "a tab where YAML needs a space: replace it with a space")
	}
	return token.Position{}, "", false
}

// valueRunsOn explains a ':' in a value: the parser read a plain value on,
// over the lines indented deeper than its key, up to a ':' that would make
// a key of it. Either a key is indented deeper than the key above it, whose
// value is set, or a one-line value holds ": ".
func (e *syntaxError) valueRunsOn() (token.Position, string, bool) {
	key := keyBefore(e.tk)
	if key == nil {
		return token.Position{}, "", false
	}
	value := strings.TrimRight(strings.TrimLeft(e.tk.Origin, " \t\n"), " \t\n")
	if i := strings.LastIndexByte(value, '\n'); i >= 0 {
		n := e.tk.Position.Line + strings.Count(value[:i+1], "\n")
		s := shapeOf(n, e.line(n))
		name := strings.TrimSpace(value[i+1:])
		return sprintf(positionAt(n, s.content), "%s is indented deeper than %s at line %d, which has a value already: line it up with %s, at column %d",
			name, key.Value, key.Position.Line, key.Value, key.Position.Column)
	}
	rest := e.rest()
	if strings.Contains(rest, ": ") {
		return sprintf(e.at(), "the value of %s holds \": \", which starts a key: quote the value, as in %s: %s", key.Value, key.Value, quoted(rest))
	}
	return sprintf(e.at(), "the value of %s ends with \":\", which makes it a key: quote the value, as in %s: %s", key.Value, key.Value, quoted(rest))
}

// misplaced explains a key or a list item that lines up with nothing
// above it, or a closing bracket that closes nothing.
func (e *syntaxError) misplaced() (token.Position, string, bool) {
	switch {
	case e.tk.Value == "]" || e.tk.Value == "}":
		return e.strayClose()
	case e.tk.Type == token.SequenceEntryType:
		return e.itemIndent()
	}
	return e.keyIndent()
}

// keyIndent explains a key that lines up with no key above it: it names
// the nearest columns it could go to, deeper and shallower.
func (e *syntaxError) keyIndent() (token.Position, string, bool) {
	n, col, name := e.tk.Position.Line, e.tk.Position.Column, e.tk.Value
	var deeper, shallower *shape
	for _, s := range e.above(n) {
		if len(s.dashes) > 0 && s.dashes[len(s.dashes)-1] == col && s.key != "" {
			return sprintf(e.at(), "%s lines up with the - of the list item at line %d, not with its keys: indent it to column %d, like %s at line %d",
				name, s.line, s.keyCol, s.key, s.line)
		}
		switch {
		case s.key == "":
		case s.keyCol > col && (deeper == nil || s.keyCol < deeper.keyCol):
			deeper = &s
		case s.keyCol < col && (shallower == nil || s.keyCol > shallower.keyCol):
			shallower = &s
		}
	}
	var fixes []string
	for _, s := range []*shape{deeper, shallower} {
		if s != nil {
			fixes = append(fixes, "to column "+itoa(s.keyCol)+", like "+s.key+" at line "+itoa(s.line))
		}
	}
	if len(fixes) == 0 {
		return token.Position{}, "", false
	}
	return sprintf(e.at(), "%s is not lined up with a key above it: indent it %s", name, strings.Join(fixes, ", or "))
}

// itemIndent explains a list item whose dash lines up with nothing above
// it, by the nearest dash above it.
func (e *syntaxError) itemIndent() (token.Position, string, bool) {
	for _, s := range e.above(e.tk.Position.Line) {
		if len(s.dashes) > 0 {
			return sprintf(e.at(), "this - is not lined up with the - of the list item at line %d: indent it to column %d",
				s.line, s.dashes[len(s.dashes)-1])
		}
	}
	return token.Position{}, "", false
}

// nonMap explains a line among a mapping's keys that is no key: a list
// item, or a key without its colon.
func (e *syntaxError) nonMap() (token.Position, string, bool) {
	if e.tk.Type != token.SequenceEntryType {
		return e.missingColon()
	}
	col := e.tk.Position.Column
	var mapping *shape
	for _, s := range e.above(e.tk.Position.Line) {
		if s.key != "" && (mapping == nil || s.keyCol == col) {
			mapping = &s
		}
		if s.keyCol == col {
			break
		}
	}
	switch {
	case mapping == nil:
		return token.Position{}, "", false
	case len(mapping.dashes) > 0:
		return sprintf(e.at(), "a list item among the keys of the mapping at line %d: remove the -, or line it up with the - at line %d, column %d, to start another item",
			mapping.line, mapping.line, mapping.dashes[len(mapping.dashes)-1])
	}
	return sprintf(e.at(), "a list item among the keys of the mapping at line %d: remove the -, or put the list under a key", mapping.line)
}

// listOnKeyLine explains a block list that starts on its key's line.
func (e *syntaxError) listOnKeyLine() (token.Position, string, bool) {
	key := keyBefore(e.tk)
	rest := e.rest()
	if key == nil || !strings.HasPrefix(rest, "-") {
		return token.Position{}, "", false
	}
	item := strings.TrimSpace(rest[1:])
	return sprintf(e.at(), "a list cannot start on the line of its key, %s: put %s on the next line, indented, or write %s: [%s]",
		key.Value, rest, key.Value, item)
}
