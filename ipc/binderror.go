package ipc

import "fmt"

// BindError reports why the endpoint could not bind its socket (control
// C1). Code is one of:
//
//	socket_path_relative  Path is not absolute
//	socket_dir_unsafe     the directory is missing, not a directory, or
//	                      writable by others without the sticky bit
//	socket_exists         something is at Path and BindMode is CreateNew
//	socket_live           a live socket is at Path (ReplaceStale)
//	socket_symlink        a symlink is at Path (ReplaceStale)
//	socket_not_a_socket   a file that is not a socket is at Path
//	socket_foreign_owner  a socket of another user is at Path
//	bind_failed           the system refused to create the socket
type BindError struct {
	// Path is the socket path of the configuration.
	Path string
	// Code says what is wrong, as a snake_case word listed above.
	Code string
	// Reason says what is wrong and how to fix it, as a sentence.
	Reason string
}

// Error returns "ipc: cannot bind socket PATH: REASON".
func (e *BindError) Error() string {
	return fmt.Sprintf("ipc: cannot bind socket %s: %s", e.Path, e.Reason)
}

// The codes of BindError.
const (
	codeSocketExists       = "socket_exists"
	codeSocketLive         = "socket_live"
	codeSocketSymlink      = "socket_symlink"
	codeSocketNotASocket   = "socket_not_a_socket"
	codeSocketForeign      = "socket_foreign_owner"
	codeSocketDirUnsafe    = "socket_dir_unsafe"
	codeSocketPathRelative = "socket_path_relative"
	codeBindFailed         = "bind_failed"
)
