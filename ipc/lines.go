package ipc

import (
	"bufio"
	"errors"
	"io"
)

// defaultMaxLine is the longest request line accepted when Config.MaxLine
// is zero.
const defaultMaxLine = 64 << 10

// lineBuffer is the size of a lineReader's buffer: most request lines fit
// in it, and a longer one grows in a slice of its own, up to the limit.
// It is small because every connection has one, idle or not: 1,000
// connections cost 4 MiB of buffers, not the limit's 64 MiB.
const lineBuffer = 4 << 10

// errLineTooLong is returned by lineReader.next for a line longer than the
// limit; the line has been read and dropped, and the next call reads the
// line after it.
var errLineTooLong = errors.New("ipc: request line too long")

// lineReader reads newline-terminated lines of at most max bytes
// (control C5). A line longer than the buffer grows in a slice, never past
// max; a longer line is read and dropped in chunks of the buffer's size,
// never held whole, so that what a client sends cannot grow the reader's
// memory past max plus one buffer.
type lineReader struct {
	r   *bufio.Reader
	max int
	// dropping is set while the rest of a too long line is being dropped,
	// so that a call after a read error (a deadline) goes on dropping it.
	dropping bool
}

// newLineReader returns a reader of lines of at most max bytes
// (defaultMaxLine if max <= 0) from r.
func newLineReader(r io.Reader, max int) *lineReader {
	if max <= 0 {
		max = defaultMaxLine
	}
	return &lineReader{r: bufio.NewReaderSize(r, min(max+1, lineBuffer)), max: max}
}

// next returns the next line without its '\n', in a slice the caller
// owns. A line longer than max bytes is dropped and next returns
// errLineTooLong. At the end of the input it returns io.EOF, or
// io.ErrUnexpectedEOF if the input ends within a line; any other read
// error is returned as it is, and the part of the line read before it is
// lost.
func (r *lineReader) next() ([]byte, error) {
	if r.dropping {
		return nil, r.dropRest()
	}
	var line []byte // the line's start, when it is longer than the buffer
	for {
		frag, err := r.r.ReadSlice('\n')
		switch {
		case err == nil:
			frag = frag[:len(frag)-1]
			if len(line)+len(frag) > r.max {
				return nil, errLineTooLong
			}
			if line == nil {
				return append([]byte(nil), frag...), nil
			}
			return append(r.grow(line, len(frag)), frag...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(line)+len(frag) > r.max {
				r.dropping = true
				return nil, r.dropRest()
			}
			line = append(r.grow(line, len(frag)), frag...)
		case errors.Is(err, io.EOF) && len(line)+len(frag) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// grow returns line with room for n more bytes, doubling its capacity
// but never past max: the caller has checked that the line stays within
// it.
func (r *lineReader) grow(line []byte, n int) []byte {
	if cap(line)-len(line) >= n {
		return line
	}
	size := min(max(2*cap(line), len(line)+n, 2*lineBuffer), r.max)
	grown := make([]byte, len(line), size)
	copy(grown, line)
	return grown
}

// dropRest drops the rest of a too long line and returns errLineTooLong,
// or the read error that interrupted it (dropping stays set).
func (r *lineReader) dropRest() error {
	if err := r.drop(); err != nil {
		return err
	}
	return errLineTooLong
}

// drop reads and discards up to the end of the current line.
func (r *lineReader) drop() error {
	for {
		_, err := r.r.ReadSlice('\n')
		switch {
		case err == nil:
			r.dropping = false
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return io.ErrUnexpectedEOF
		default:
			return err
		}
	}
}
