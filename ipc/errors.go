package ipc

import (
	"context"
	"errors"
	"strconv"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// engineCodes are the codes of the engine's errors (docs/protocol.md#errors).
func engineCodes() []struct {
	err  error
	code string
} {
	return []struct {
		err  error
		code string
	}{
		{supervisor.ErrNotFound, "not_found"},
		{supervisor.ErrAlreadyExists, "already_exists"},
		{supervisor.ErrNotSupervisor, "not_supervisor"},
		{supervisor.ErrNotRunning, "not_running"},
		{supervisor.ErrInvalidPath, "invalid_path"},
		{supervisor.ErrShuttingDown, "shutting_down"},
		{supervisor.ErrInvalidAudit, "invalid_audit"},
		{context.DeadlineExceeded, "timeout"},
		{context.Canceled, "canceled"},
	}
}

// engineError returns the protocol's error for an error of the engine: its
// code, and its text as the message.
func engineError(err error) *Error {
	e := &Error{Code: "command_failed", Message: textfmt.Error(err)}
	for _, ec := range engineCodes() {
		if errors.Is(err, ec.err) {
			e.Code = ec.code
			break
		}
	}
	var verr *supervisor.ValidationError
	if e.Code == "command_failed" && errors.As(err, &verr) {
		e.Code = "invalid_spec"
	}
	e.Retryable = e.Code == "timeout"
	return e
}

// quote quotes text from a client for a message.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
