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

// auditLog is the append-only audit file. Each append writes one JSON
// line and syncs it to disk before returning, so that a command recorded
// as allowed is on disk before it runs. An append that fails returns an
// error and counts a failure: the caller refuses the command (fail
// closed). A file that could not be opened is opened again at each
// append, so that writes resume once the operator fixes the cause, without
// a restart. An auditLog is safe for concurrent use.
type auditLog struct {
	path  string
	fails atomic.Uint64

	mu     sync.Mutex
	f      *os.File // nil: not open (failed to open, or closed)
	closed bool
	// torn is set when a write failed, perhaps after writing part of a
	// line: the next record starts with a newline so that it is whole.
	torn bool
}

// openAudit opens (creating it, mode 0600) the audit file at path for
// appending. It never fails: a file that cannot be opened leaves the log
// failed, and each append says why and counts a failure.
func openAudit(path string) *auditLog {
	a := &auditLog{path: path}
	a.f, _ = a.open()
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
	line, err := json.Marshal(r)
	if err != nil { // cannot happen: every field encodes
		return a.fail(err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return a.fail(errors.New("the audit log is closed"))
	}
	if a.f == nil {
		if a.f, err = a.open(); err != nil {
			return a.fail(err)
		}
	}
	if a.torn {
		line = append([]byte{'\n'}, line...)
	}
	if _, err := a.f.Write(line); err != nil {
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

// failures returns how many appends have failed.
func (a *auditLog) failures() uint64 { return a.fails.Load() }

// Close closes the file; appends after it fail.
func (a *auditLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}
