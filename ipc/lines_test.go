//go:build unix

package ipc

import (
	"bytes"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// readAll reads lines from r until an error and returns them, with the
// too long ones as "<too long>", and the error that ended it.
func readAll(r *lineReader) ([]string, error) {
	var lines []string
	for {
		line, err := r.next()
		switch {
		case errors.Is(err, errLineTooLong):
			lines = append(lines, "<too long>")
		case err != nil:
			return lines, err
		default:
			lines = append(lines, string(line))
		}
	}
}

// TestLineReader checks lines up to the limit, over it, empty, and the
// end of the input after a whole line and within one.
func TestLineReader(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want []string
		err  error
	}{
		{"", 4, nil, io.EOF},
		{"a\n\nbcd\n", 4, []string{"a", "", "bcd"}, io.EOF},
		{"abcd\nabcde\nx\n", 4, []string{"abcd", "<too long>", "x"}, io.EOF},
		{"abc", 4, nil, io.ErrUnexpectedEOF},
		{"a\nabcdefgh", 4, []string{"a"}, io.ErrUnexpectedEOF},
		{strings.Repeat("x", 100) + "\nok\n", 20, []string{"<too long>", "ok"}, io.EOF},
		{strings.Repeat("x", 20) + "\n", 20, []string{strings.Repeat("x", 20)}, io.EOF},
		{strings.Repeat("x", 21) + "\n", 20, []string{"<too long>"}, io.EOF},
	} {
		for _, r := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in))} {
			lines, err := readAll(newLineReader(r, c.max))
			if !slicesEqual(lines, c.want) || err != c.err {
				t.Errorf("%.30q, max %d: %q, %v; want %q, %v", c.in, c.max, lines, err, c.want, c.err)
			}
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLineReaderOwnsLines checks that a line returned stays as it was
// after the next is read (the caller may keep it).
func TestLineReaderOwnsLines(t *testing.T) {
	r := newLineReader(strings.NewReader("first\nsecond\n"), 64)
	a, _ := r.next()
	r.next()
	if string(a) != "first" {
		t.Errorf("the first line became %q", a)
	}
}

// unixPair returns the two ends of a connected Unix stream socket.
func unixPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	path := filepath.Join(shortDir(t), "t.sock")
	l := mustBind(t, path, 0, CreateNew)
	client, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	server, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestLineReaderDeadlineWhileDropping(t *testing.T) {
	client, server := unixPair(t)
	r := newLineReader(server, 16)
	client.Write([]byte(strings.Repeat("x", 100)))
	server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := r.next(); !isTimeout(err) {
		t.Fatalf("first part: %v, want a timeout", err)
	}
	server.SetReadDeadline(time.Time{})
	client.Write([]byte(`{"method":"shutdown"}` + "\nok\n"))
	lines, _ := readUntil(r, "ok")
	if !slicesEqual(lines, []string{"<too long>", "ok"}) {
		t.Errorf("after the deadline: %q, want the rest of the long line dropped", lines)
	}
}

// readUntil reads lines until one equals last.
func readUntil(r *lineReader, last string) ([]string, error) {
	var lines []string
	for {
		line, err := r.next()
		switch {
		case isTimeout(err):
			continue
		case errors.Is(err, errLineTooLong):
			lines = append(lines, "<too long>")
		case err != nil:
			return lines, err
		default:
			lines = append(lines, string(line))
			if string(line) == last {
				return lines, nil
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// FuzzLineReader reads arbitrary input with a small limit, whole and a
// byte at a time, and checks it against splitting the input at newlines:
// it never panics, never returns a line longer than the limit, and
// refuses exactly the longer ones.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nbb\n\n"), uint8(1))
	f.Add([]byte(strings.Repeat("x", 40)+"\nok\n"), uint8(16))
	f.Add([]byte("abc"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, m uint8) {
		max := int(m%64) + 1
		var want []string
		parts := strings.Split(string(in), "\n")
		for _, p := range parts[:len(parts)-1] {
			if len(p) > max {
				p = "<too long>"
			}
			want = append(want, p)
		}
		wantErr := io.EOF
		if parts[len(parts)-1] != "" {
			wantErr = io.ErrUnexpectedEOF
		}
		for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in))} {
			lines, err := readAll(newLineReader(r, max))
			if !slicesEqual(lines, want) || err != wantErr {
				t.Fatalf("max %d: %q, %v; want %q, %v", max, lines, err, want, wantErr)
			}
			for _, l := range lines {
				if l != "<too long>" && len(l) > max {
					t.Fatalf("a line of %d bytes, above the limit %d", len(l), max)
				}
			}
		}
	})
}
