package ipc

import (
	"bufio"
	"errors"
	"io"
)

// defaultMaxLine is the longest request line accepted when Config.MaxLine
// is zero.
const defaultMaxLine = 64 << 10

// errLineTooLong is returned by lineReader.next for a line longer than the
// limit; the line has been read and dropped, and the next call reads the
// line after it.
var errLineTooLong = errors.New("ipc: request line too long")

// lineReader reads newline-terminated lines of at most max bytes
// (control C5). A longer line is read and dropped in chunks of the
// buffer's size, never held whole, so that what a client sends cannot
// grow the reader's memory past max plus one buffer.
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
	return &lineReader{r: bufio.NewReaderSize(r, max+1), max: max}
}

// next returns the next line without its '\n', in a slice the caller
// owns. A line longer than max bytes is dropped and next returns
// errLineTooLong. At the end of the input it returns io.EOF, or
// io.ErrUnexpectedEOF if the input ends within a line; any other read
// error is returned as it is, and the part of the line read before it is
// lost.
func (r *lineReader) next() ([]byte, error) {
	if r.dropping {
		if err := r.drop(); err != nil {
			return nil, err
		}
		return nil, errLineTooLong
	}
	line, err := r.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		r.dropping = true
		if err := r.drop(); err != nil {
			return nil, err
		}
		return nil, errLineTooLong
	case errors.Is(err, io.EOF) && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > r.max { // only when max is below bufio's minimum size
		return nil, errLineTooLong
	}
	return append([]byte(nil), line...), nil
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
