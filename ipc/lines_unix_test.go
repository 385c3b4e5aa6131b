//go:build unix

package ipc

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// TestLineReaderHugeLine is an attack: a client sends a 100 MB line on a
// real socket. The reader refuses it while allocating less than 1 MB
// (the line is dropped as it arrives, not held), then reads the next
// line.
func TestLineReaderHugeLine(t *testing.T) {
	client, server := unixPair(t)
	const size = 100 << 20
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		for n := 0; n < size; n += len(chunk) {
			if _, err := client.Write(chunk); err != nil {
				return
			}
		}
		client.Write([]byte("\n{\"id\":\"next\"}\n"))
	})
	r := newLineReader(server, 64<<10)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := r.next()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errLineTooLong) {
		t.Fatalf("the 100 MB line: %v, want errLineTooLong", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 1<<20 {
		t.Errorf("refusing a 100 MB line allocated %d bytes", alloc)
	}
	t.Logf("refusing a 100 MB line allocated %d bytes", alloc)
	line, err := r.next()
	if err != nil || string(line) != `{"id":"next"}` {
		t.Errorf("the line after: %q, %v", line, err)
	}
}

// TestLineReaderDeadlineWhileDropping sends a too long line in two parts
// with a read deadline between them: the call the deadline interrupts
// returns the timeout, and the next goes on dropping the same line
// rather than taking its end for a request.
