//go:build linux

package ipc

import (
	"fmt"
	"net"
	"syscall"
)

// peerOf returns the credentials of the process at the other end of c,
// from the kernel (SO_PEERCRED), so that the peer cannot forge them.
func peerOf(c *net.UnixConn) (peer, error) {
	unavailable := func(err error) (peer, error) {
		return peer{}, &controlError{Code: codePeerCredUnavailable,
			msg: fmt.Sprintf("ipc: the peer's credentials cannot be read (SO_PEERCRED: %v), so the connection is refused", err)}
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return unavailable(err)
	}
	var cred *syscall.Ucred
	var credErr error
	err = rc.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err == nil {
		err = credErr
	}
	if err != nil {
		return unavailable(err)
	}
	return peer{UID: cred.Uid, GID: cred.Gid, PID: cred.Pid}, nil
}
