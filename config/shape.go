package config

import "fmt"

// noScalar is shapeScan.scalarCol outside a block scalar.
const noScalar = -2

// shapeScan follows a YAML file line by line closely enough to count its
// nesting and the keys of its block mappings, without building anything:
// it knows block collections by their indentation, flow collections by
// their brackets, and skips comments, quoted scalars and block scalars,
// whose text may hold any of those characters. Where YAML's rules are
// subtler than it is, it counts more, never less.
type shapeScan struct {
	data      []byte
	off       int // start of the line being scanned
	end       int // end of that line, before its line break
	levels    [MaxNesting + 1]level
	n         int  // block collections open: levels[:n]
	flow      int  // flow collections open
	quote     byte // the quote of a quoted scalar left open at a line end
	scalarCol int  // a block scalar's lines are those indented beyond this
	content   bool // a document's content has been seen
}

// level is an open block collection.
type level struct {
	col  int  // its indentation
	seq  bool // a sequence, else a mapping
	keys int  // keys seen, for a mapping
}

// scanLine scans the line at s.off and moves s.off past it.
func (s *shapeScan) scanLine() *Problem {
	s.end = s.off
	for s.end < len(s.data) && s.data[s.end] != '\n' && s.data[s.end] != '\r' {
		s.end++
	}
	defer s.nextLine()
	if s.end-s.off > MaxLineLength {
		return problemAtOffset(s.data, s.off+MaxLineLength, fmt.Sprintf(
			"the line is longer than %d bytes: break it; a long string can be folded over lines with >", MaxLineLength))
	}
	switch {
	case s.quote != 0:
		return s.rest(s.quoted(s.off, s.quote), nil)
	case s.flow > 0:
		return s.rest(s.inFlow(s.off))
	}
	return s.blockLine()
}

// nextLine moves s.off past the line break ending the current line.
func (s *shapeScan) nextLine() {
	s.off = s.end
	if s.off < len(s.data) && s.data[s.off] == '\r' {
		s.off++
	}
	if s.off < len(s.data) && s.data[s.off] == '\n' {
		s.off++
	}
}

// blockLine scans a line that starts in block context.
func (s *shapeScan) blockLine() *Problem {
	p := s.skipBlanks(s.off)
	indent := p - s.off
	if p == s.end || s.data[p] == '#' {
		return nil // blank, or a comment
	}
	if s.scalarCol != noScalar {
		if indent > s.scalarCol && !s.marker(p) {
			return nil // a block scalar's text
		}
		s.scalarCol = noScalar
	}
	if indent == 0 && (s.data[p] == '%' || s.marker(p)) {
		s.n = 0 // a directive, or a document's start or end
		if s.data[p] == '%' {
			return nil
		}
		if s.content { // the parser's cost grows with the square of the documents
			return problemAtOffset(s.data, p, "a config file holds one YAML document: remove this one, or the --- before it")
		}
		p = s.skipBlanks(p + 3)
	}
	s.content = true
	for s.n > 0 && s.levels[s.n-1].col > indent {
		s.n--
	}
	return s.node(p)
}

// marker reports whether a document marker (--- or ...) starts a line at p.
func (s *shapeScan) marker(p int) bool {
	if p != s.off || s.end-p < 3 {
		return false
	}
	m := string(s.data[p : p+3])
	return (m == "---" || m == "...") && (p+3 == s.end || isBlank(s.data[p+3]))
}

// node scans block content starting at p: indicators of compact nested
// collections ("- - key: value"), then a key, then a value.
func (s *shapeScan) node(p int) *Problem {
	for p < s.end && s.indicator(p) {
		if err := s.open(p, s.data[p] == '-', s.data[p] == '?'); err != nil {
			return err
		}
		p = s.skipBlanks(p + 1)
	}
	if p == s.end || s.data[p] == '#' {
		return nil
	}
	start := p // a key's node starts with its properties: &anchor !tag key:
	if p = s.properties(p); p == s.end {
		return nil
	}
	if colon, ok := s.key(p); ok {
		if err := s.open(start, false, true); err != nil {
			return err
		}
		p = s.skipBlanks(colon + 1)
	}
	return s.value(p)
}

// properties returns where the node at p starts past its anchor and tag,
// if it has them.
func (s *shapeScan) properties(p int) int {
	for p < s.end && (s.data[p] == '&' || s.data[p] == '!') {
		for p < s.end && !isBlank(s.data[p]) {
			p++
		}
		p = s.skipBlanks(p)
	}
	return p
}

// indicator reports whether a block indicator (- ? :) followed by a blank
// or the line end is at p.
func (s *shapeScan) indicator(p int) bool {
	c := s.data[p]
	return (c == '-' || c == '?' || c == ':') && (p+1 == s.end || isBlank(s.data[p+1]))
}

// open records a block collection node at p: a new collection, nested in
// those open, or the one open at its column, which a key counts toward
// its mapping's limit. A sequence written at its key's indentation is
// nested in the key's mapping, and ends at the mapping's next key.
func (s *shapeScan) open(p int, seq, key bool) *Problem {
	col := p - s.off
	if s.n > 0 && s.levels[s.n-1].col == col && s.levels[s.n-1].seq && !seq {
		s.n--
	}
	if s.n == 0 || s.levels[s.n-1].col < col || s.levels[s.n-1].seq != seq {
		if s.n+s.flow >= MaxNesting {
			return s.tooDeep(p)
		}
		s.levels[s.n] = level{col: col, seq: seq}
		s.n++
	}
	if top := &s.levels[s.n-1]; key {
		if top.keys++; top.keys > MaxMappingKeys {
			return problemAtOffset(s.data, p, fmt.Sprintf(
				"a mapping with more than %d keys: a config needs far fewer; split it, or write the values as a list", MaxMappingKeys))
		}
	}
	return nil
}

func (s *shapeScan) tooDeep(p int) *Problem {
	return problemAtOffset(s.data, p, fmt.Sprintf(
		"nested more than %d levels deep: flatten the file", MaxNesting))
}

// key reports whether a key ends at colon on the line, with the key
// starting at p: a plain or quoted scalar followed by ':' and a blank or
// the line end.
func (s *shapeScan) key(p int) (colon int, ok bool) {
	switch c := s.data[p]; c {
	case '"', '\'':
		q := s.quoted(p+1, c)
		if q < 0 {
			s.quote = 0 // value scans it again
			return 0, false
		}
		p = s.skipBlanks(q)
		return p, p < s.end && s.data[p] == ':' && s.blankAfter(p)
	case '*': // an alias as a key: *name : value
		q := p
		for q < s.end && !isBlank(s.data[q]) {
			q++
		}
		q = s.skipBlanks(q)
		return q, q < s.end && s.data[q] == ':' && s.blankAfter(q)
	case '[', '{', '|', '>', '&', '!':
		return 0, false // a flow key, or not a key
	}
	for i := p; i < s.end; i++ {
		switch s.data[i] {
		case ':':
			if s.blankAfter(i) {
				return i, true
			}
		case '#':
			if isBlank(s.data[i-1]) {
				return 0, false
			}
		}
	}
	return 0, false
}

// value scans a value in block context at p: its anchor and tag, then a
// flow collection, a quoted scalar, a block scalar or a plain scalar.
func (s *shapeScan) value(p int) *Problem {
	if p = s.properties(p); p == s.end {
		return nil
	}
	switch c := s.data[p]; c {
	case '[', '{':
		return s.rest(s.inFlow(p))
	case '"', '\'':
		return s.rest(s.quoted(p+1, c), nil)
	case '|', '>':
		s.scalarCol = -1 // a document that is one block scalar
		if s.n > 0 {
			s.scalarCol = s.levels[s.n-1].col
		}
		return nil
	}
	return s.plain(p)
}

// plain scans a plain scalar, to the line's end. Its brackets are text,
// but should the parser read more into them than this scan does, they
// are counted as collections all the same: the scan counts more, never
// less.
func (s *shapeScan) plain(p int) *Problem {
	depth := 0
	for i := p; i < s.end; i++ {
		switch s.data[i] {
		case '#':
			if isBlank(s.data[i-1]) {
				return nil
			}
		case '[', '{':
			if depth++; s.n+s.flow+depth > MaxNesting {
				return s.tooDeep(i)
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// rest scans what follows a flow collection or quoted scalar that ended at
// p on this line (p < 0: it goes on past the line): a comment, or ": " and
// the value of a key it was.
func (s *shapeScan) rest(p int, err *Problem) *Problem {
	if err != nil || p < 0 {
		return err
	}
	if s.flow > 0 {
		return s.rest(s.inFlow(p))
	}
	p = s.skipBlanks(p)
	if p < s.end && s.data[p] == ':' && s.blankAfter(p) {
		return s.value(s.skipBlanks(p + 1))
	}
	return nil
}

// inFlow scans flow content from p, counting brackets, up to the end of the
// outermost collection (its end is returned) or of the line (-1).
func (s *shapeScan) inFlow(p int) (int, *Problem) {
	for i := p; i < s.end; i++ {
		switch c := s.data[i]; c {
		case '"', '\'':
			if i = s.quoted(i+1, c); i < 0 {
				return -1, nil
			}
			i--
		case '#':
			if i == s.off || isBlank(s.data[i-1]) {
				return -1, nil
			}
		case '[', '{':
			if s.n+s.flow >= MaxNesting {
				return 0, s.tooDeep(i)
			}
			s.flow++
		case ']', '}':
			if s.flow = max(s.flow-1, 0); s.flow == 0 {
				return i + 1, nil
			}
		}
	}
	return -1, nil
}

// quoted scans a scalar quoted with q from p, just past the opening quote
// or at the start of a line it goes on to, and returns where it ends, past
// its closing quote, or -1 if it goes on past the line.
func (s *shapeScan) quoted(p int, q byte) int {
	s.quote = q
	for i := p; i < s.end; i++ {
		switch c := s.data[i]; {
		case c == '\\' && q == '"':
			i++
		case c == q && q == '\'' && i+1 < s.end && s.data[i+1] == '\'':
			i++
		case c == q:
			s.quote = 0
			return i + 1
		}
	}
	return -1
}

func (s *shapeScan) skipBlanks(p int) int {
	for p < s.end && isBlank(s.data[p]) {
		p++
	}
	return p
}

// blankAfter reports whether the character at p is followed by a blank or
// the line end.
func (s *shapeScan) blankAfter(p int) bool { return p+1 == s.end || isBlank(s.data[p+1]) }

func isBlank(c byte) bool { return c == ' ' || c == '\t' }
