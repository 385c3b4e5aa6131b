//go:build linux

package process

import (
	"bufio"
	"log/slog"
	"os"
	"strings"
)

// Output streams, the value of the "stream" attribute.
const (
	streamStdout = "stdout"
	streamStderr = "stderr"
)

// forward logs each line read from f until f reaches its end or is closed.
func (r *runner) forward(f *os.File, stream string) {
	br := bufio.NewReaderSize(f, MaxLineLen)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			head := string(line)
			// The line is cut unless all that is left of it is its end.
			var rest []byte
			rest, err = br.ReadSlice('\n')
			r.line(stream, head, trimEOL(string(rest)) != "")
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err != nil {
				return
			}
			continue
		}
		r.line(stream, string(line), false)
		if err != nil {
			return
		}
	}
}

// line handles one output line: readiness, masking, logging.
func (r *runner) line(stream, s string, cut bool) {
	s = trimEOL(s)
	if s == "" {
		return
	}
	r.ready.match(s)
	m := r.red.mask(s, cut)
	if stream == streamStderr {
		r.lastStderr = m
	}
	if cut {
		r.log.LogAttrs(r.ctx, slog.LevelInfo, m, slog.String("stream", stream), slog.Bool("truncated", true))
		return
	}
	r.log.LogAttrs(r.ctx, slog.LevelInfo, m, slog.String("stream", stream))
}

// trimEOL removes a trailing "\n" or "\r\n".
func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}
