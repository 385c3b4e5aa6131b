//go:build !linux

package ipc

import (
	"errors"
	"net"
)

// peerOf cannot read a peer's credentials on this system: SO_PEERCRED is
// Linux's, and the standard library has no other. Every connection is
// refused (control C2 fails closed): the endpoint serves on Linux.
func peerOf(*net.UnixConn) (peer, error) {
	return peer{}, &controlError{Code: codePeerCredUnavailable,
		msg: errors.New("ipc: this system gives no peer credentials the endpoint can read (it serves on Linux), so the connection is refused").Error()}
}
