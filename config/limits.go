package config

import (
	"fmt"
	"unicode/utf8"
)

// Limits on a file's shape, checked by a scan of its bytes before the YAML
// parser sees them: the parser's cost grows with the square of a file's
// nesting and of the number of keys in one block mapping, and by hundreds
// of bytes of memory per byte of input. Within these limits any file is
// decided in bounded time and memory; docs/config.md states the bound and
// how it is measured.
const (
	// MaxFileSize is the size of the largest file Load and Parse read, in
	// bytes.
	MaxFileSize = 128 << 10
	// MaxLineLength is the length of a file's longest line, in bytes, not
	// counting its line break.
	MaxLineLength = 16 << 10
	// MaxNesting is how many collections (mappings and sequences) may be
	// open one inside another, aliases expanded.
	MaxNesting = maxDepth
	// MaxMappingKeys is the number of keys a mapping written in block
	// style may have.
	MaxMappingKeys = 1000
)

// checkLimits reports the first place where data exceeds a limit, or nil.
// Its nesting is the number of collections (mappings and sequences, block
// or flow) open at a point; the scan errs on the side of counting, so that
// no file deeper than MaxNesting reaches the parser.
func checkLimits(data []byte) *Problem {
	if len(data) > MaxFileSize {
		return problemAtOffset(data, MaxFileSize, fmt.Sprintf(
			"the file is larger than %d KiB: shorten it; anchors (&name, *name) and defaults say a repeated setting once",
			MaxFileSize>>10))
	}
	s := shapeScan{data: data, scalarCol: noScalar}
	for s.off < len(data) {
		if p := s.scanLine(); p != nil {
			return p
		}
	}
	return nil
}

// problemAtOffset returns a problem placed at byte offset off of data,
// counting lines as YAML does and columns in characters.
func problemAtOffset(data []byte, off int, msg string) *Problem {
	line, start := 1, 0
	for i := 0; i < off; i++ {
		switch data[i] {
		case '\n':
			line, start = line+1, i+1
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			line, start = line+1, i+1
		}
	}
	col := utf8.RuneCount(data[start:min(off, len(data))]) + 1
	end := start
	for end < len(data) && end-start < MaxLineLength && data[end] != '\n' && data[end] != '\r' {
		end++
	}
	return &Problem{Line: line, Column: col, Message: msg, Source: string(data[start:end])}
}
