package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error lists every problem found in a config file, sorted by position. Load
// and Parse return it for any file they cannot turn into a valid
// supervisor.Spec: a YAML syntax error, an unknown or duplicate key, a value
// of the wrong type, an unknown registry name, or a problem
// supervisor.Validate finds in the resulting spec.
type Error struct {
	// File is the file name given to Load or Parse.
	File string
	// Problems are sorted by line, then column.
	Problems []Problem
}

// Problem is one thing wrong with a config file.
type Problem struct {
	// Path is the key the problem is about, in YAML terms, such as
	// "children[2].backoff.initial"; "" for the file as a whole (a syntax
	// error). A key holding a control or invisible character is quoted as
	// Go quotes a string: children[0]."re\x1bstart".
	Path string
	// Line and Column locate the key, or, if the key is missing, its
	// nearest ancestor that is in the file. Both count from 1.
	Line, Column int
	// Message says what is wrong and how to fix it. The file's text it
	// quotes is escaped as Go escapes it: it holds no control character.
	Message string
	// Source is the file's line Line as written, without its line end, to
	// show the problem in place (see Excerpt); "" if the problem was found
	// before the file was read as YAML (a file too large, say).
	Source string
}

// String formats the problem as "line:column: path: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(p.Line))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(p.Column))
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error formats one problem per line, as "file:line:column: path: message".
func (e *Error) Error() string { return e.format(false) }

// Verbose formats the problems as Error does, each followed by its
// Excerpt, as a compiler shows errors:
//
//	shop.yaml:4:7: restart is indented deeper than run at line 3, ...
//	    4 |       restart: permanent
//	      |       ^
func (e *Error) Verbose() string { return e.format(true) }

func (e *Error) format(excerpts bool) string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File)
			b.WriteByte(':')
		}
		b.WriteString(p.String())
		if x := p.Excerpt(); excerpts && x != "" {
			b.WriteByte('\n')
			b.WriteString(x)
		}
	}
	return b.String()
}

// sortProblems orders problems by position, then path, and drops exact
// duplicates.
func sortProblems(ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), strings.Compare(a.Path, b.Path))
	})
	return slices.Compact(ps)
}
