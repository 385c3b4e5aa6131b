package ipc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// auditRecord is one line of the audit file (control C7): a request that
// changes something, allowed or denied, any request a control denied, or
// a command's result. Every key is always written.
type auditRecord struct {
	Time time.Time `json:"time"` // RFC 3339 with nanoseconds
	// UID, GID and PID are the peer's credentials (SO_PEERCRED).
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	PID int32  `json:"pid"`
	// Client is the name the connection's hello gave its program.
	Client string `json:"client"`
	// Who and Why are the request's audit: the operator and the reason.
	Who       string `json:"who"`
	Why       string `json:"why"`
	Method    string `json:"method"`
	Path      string `json:"path"` // the tree path the request names
	CommandID string `json:"command_id"`
	// Child is the child an add command adds, as the request wrote it:
	// what it runs, with its args and env.
	Child string `json:"child,omitempty"`
	// Decision is "allowed" or "denied".
	Decision string `json:"decision"`
	// Code is the error code of a denial or of a command that failed.
	Code string `json:"code"`
	// Result is "ok" or "error" once the command has run; empty before.
	Result string `json:"result"`
}

// The values of auditRecord's Decision and Result.
const (
	auditAllowed = "allowed"
	auditDenied  = "denied"
	auditOK      = "ok"
	auditError   = "error"
)

// auditLog is the append-only audit file. One goroutine owns the file
// and writes every record, so that no caller does I/O under a lock. A
// command's record (append) is written and synced before append returns,
// so that a command recorded as allowed is on disk before it runs; an
// append that fails returns an error and counts a failure, and the caller
// refuses the command (fail closed). A denial's record (deny) is queued
// and written with the others queued, one sync for all, after the
// commands' records: a flood of denials neither holds up commands nor
// the accept loop, and when the queue is full it is counted, and written
// as one record of how many were not. A file that could not be opened is
// opened again at each write, so that writes resume once the operator
// fixes the cause, without a restart.
type auditLog struct {
	path    string
	fails   atomic.Uint64
	dropped atomic.Uint64 // denials the queue had no room for, not yet recorded
	records chan auditWrite
	denials chan []byte
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once

	// The writer goroutine's alone:
	f    *os.File // nil: not open (failed to open)
	torn bool     // a write failed, perhaps after part of a line: the next starts with a newline
}

// auditWrite is a command's record, and where its writer says whether it
// is on disk.
type auditWrite struct {
	line []byte
	done chan error
}

// auditDenials is how many denials wait for the writer at most.
const auditDenials = 1024

// openAudit opens (creating it, mode 0600) the audit file at path for
// appending, and starts its writer; Close stops it. It never fails: a file
// that cannot be opened leaves the log failed, and each write says why and
// counts a failure.
func openAudit(path string) *auditLog {
	a := &auditLog{path: path, records: make(chan auditWrite), denials: make(chan []byte, auditDenials),
		quit: make(chan struct{}), done: make(chan struct{})}
	a.f, _ = a.open()
	go a.run()
	return a
}

// open opens the file for appending.
func (a *auditLog) open() (*os.File, error) {
	return os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// append writes r as one line and syncs the file. It returns an error,
// and counts a failure, if the record is not on disk: the caller must
// then refuse the command r records.
func (a *auditLog) append(r auditRecord) error {
	w := auditWrite{line: encodeRecord(r), done: make(chan error, 1)}
	select {
	case a.records <- w:
		return <-w.done
	case <-a.quit:
		return a.fail(errors.New("the audit log is closed"))
	}
}

// deny queues r, a denial's record, for the writer.
func (a *auditLog) deny(r auditRecord) {
	select {
	case a.denials <- encodeRecord(r):
	default:
		a.dropped.Add(1)
	}
}

func encodeRecord(r auditRecord) []byte {
	line, _ := json.Marshal(r) // every field encodes
	return append(line, '\n')
}

// run writes the records until Close: a command's first, then the
// denials queued.
func (a *auditLog) run() {
	defer close(a.done)
	for {
		select {
		case w := <-a.records:
			w.done <- a.write(w.line)
			continue
		default:
		}
		select {
		case w := <-a.records:
			w.done <- a.write(w.line)
		case line := <-a.denials:
			a.write(a.denialBatch(line))
		case <-a.quit:
			return
		}
	}
}

// denialBatch returns line and the denials queued after it, and a record
// of those the queue had no room for, as one write.
func (a *auditLog) denialBatch(line []byte) []byte {
	batch := line
	for more := true; more && len(batch) < 64<<10; {
		select {
		case line := <-a.denials:
			batch = append(batch, line...)
		default:
			more = false
		}
	}
	if n := a.dropped.Swap(0); n > 0 {
		batch = append(batch, encodeRecord(auditRecord{Time: time.Now(), Decision: auditDenied,
			Code: "denials_not_recorded", Why: fmt.Sprintf("%d denials came faster than they could be recorded", n)})...)
	}
	return batch
}

// write writes lines and syncs the file. The writer goroutine alone calls
// it.
func (a *auditLog) write(lines []byte) error {
	if a.f == nil {
		var err error
		if a.f, err = a.open(); err != nil {
			return a.fail(err)
		}
	}
	if a.torn {
		lines = append([]byte{'\n'}, lines...)
	}
	if _, err := a.f.Write(lines); err != nil {
		a.torn = true
		return a.fail(err)
	}
	a.torn = false
	if err := a.f.Sync(); err != nil {
		return a.fail(err)
	}
	return nil
}

// fail counts a failure and returns err as the error of an append.
func (a *auditLog) fail(err error) error {
	a.fails.Add(1)
	return fmt.Errorf("ipc: the audit file %s cannot be written (%w): fix the file or its directory, or set ipc: audit_file to a writable path",
		a.path, err)
}

// failures returns how many writes have failed.
func (a *auditLog) failures() uint64 { return a.fails.Load() }

// Close writes the denials queued, stops the writer and closes the file;
// appends after it fail.
func (a *auditLog) Close() error {
	a.once.Do(func() { close(a.quit) })
	<-a.done
	for queued := true; queued; {
		select {
		case line := <-a.denials:
			a.write(a.denialBatch(line))
		default:
			queued = false
		}
	}
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}
