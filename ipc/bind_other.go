//go:build !unix

package ipc

import (
	"net"
	"os"
)

// boundListener is a Unix listener made by bind.
type boundListener struct{ *net.UnixListener }

// bind cannot make a socket with the checks control C1 requires on this
// system (file owners and modes): the endpoint serves on Unix systems.
func bind(path string, _ os.FileMode, _ BindMode) (*boundListener, error) {
	return nil, &BindError{Path: path, Code: codeBindFailed,
		Reason: "this system has no Unix socket owners and modes for the endpoint's checks: it serves on Unix systems"}
}
