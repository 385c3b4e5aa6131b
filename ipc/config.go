package ipc

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// BindMode says what Listen does when something is at the socket path.
type BindMode int

const (
	// CreateNew refuses to bind when anything is at the path.
	CreateNew BindMode = iota
	// ReplaceStale replaces a dead socket the process's user owns: a live
	// socket, a symlink, a file that is not a socket and a socket of
	// another owner are refused.
	ReplaceStale
)

// Class is what a method does, for authorization (Grant).
type Class int

const (
	// Read methods change nothing: hello, state, subscribe, logs, plan.
	Read Class = iota + 1
	// Write commands change a child and can be undone: restart, pause,
	// resume, reset, quarantine, add.
	Write
	// Destructive commands cannot be undone: remove, shutdown, apply. They
	// need confirmed: true.
	Destructive
)

// Grant allows peers the classes of methods listed. A peer matches a grant
// if its uid is in UIDs or its gid is in GIDs.
type Grant struct {
	UIDs    []uint32
	GIDs    []uint32
	Classes []Class
}

// Config configures an endpoint. Only Path is required: the zero value of
// every other field is the safe default documented on it (docs/ipc.md has
// the table).
type Config struct {
	// Path is the socket's absolute path.
	Path string
	// BindMode is CreateNew by default.
	BindMode BindMode
	// Mode is the socket file's mode, applied as it is created: 0600 by
	// default.
	Mode os.FileMode
	// TargetID names the target to clients; the tree's name by default, or
	// "supervisor" if it has none.
	TargetID string

	// AllowUIDs are the peer uids that may connect (C2); the process's own
	// uid by default. AllowGIDs, if not empty, also requires the peer's gid
	// to be one of them.
	AllowUIDs []uint32
	AllowGIDs []uint32
	// Grants say which classes of methods a peer may call (C3). With none,
	// a peer that may connect may call every method.
	Grants []Grant

	// MaxLine is the longest request line accepted, in bytes (C5): 64 KiB
	// by default.
	MaxLine int
	// Rate and Burst are each connection's token bucket (C6): 100 requests
	// a second, bursts of 200, by default.
	Rate  float64
	Burst int
	// MaxConns is the most connections served at once: 1024 by default.
	// An idle connection costs a few KiB and two goroutines.
	MaxConns int
	// IdleTimeout closes a connection that sends nothing and subscribes to
	// nothing for this long: 5m by default. WriteTimeout closes one that
	// does not read what it is sent for this long: 10s by default.
	IdleTimeout  time.Duration
	WriteTimeout time.Duration
	// QueueSize is each subscription's queue of pushes: 4096 by default. A
	// client that falls behind gets gap pushes; one that stays behind for
	// SlowLimit (30s by default) is disconnected.
	QueueSize int
	SlowLimit time.Duration

	// AuditFile is the append-only file every request that changes
	// anything is written to, and synced, before it runs (C7): Path +
	// ".audit" by default. If it cannot be written, commands are refused
	// and reads go on.
	AuditFile string
	// CommandTTL is how long a command's result is kept for a repeat of its
	// command id (C8): 10m by default.
	CommandTTL time.Duration
	// ExecAllow lists the absolute paths of the programs a child added over
	// IPC may run (C9). Empty: none.
	ExecAllow []string
	// ExecEnv lists the environment variables a child added over IPC may
	// set, with values as written (no ${...} references). Empty: none.
	ExecEnv []string
}

// validate reports the first field of cfg that is not valid, naming it.
func (cfg *Config) validate() error {
	bad := func(field, why string) error { return fmt.Errorf("ipc: Config.%s %s", field, why) }
	switch {
	case cfg.Path == "":
		return bad("Path", "is empty: give the socket's absolute path")
	case !filepath.IsAbs(cfg.Path):
		return bad("Path", fmt.Sprintf("%q is relative: give an absolute path", cfg.Path))
	case cfg.BindMode != CreateNew && cfg.BindMode != ReplaceStale:
		return bad("BindMode", "is neither CreateNew nor ReplaceStale")
	case cfg.Mode&^os.ModePerm != 0:
		return bad("Mode", fmt.Sprintf("%v has bits other than permissions", cfg.Mode))
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return bad("Rate", "must be a positive number of requests a second")
	case cfg.MaxLine < 256:
		return bad("MaxLine", "must be at least 256 bytes")
	}
	for _, g := range cfg.Grants {
		for _, c := range g.Classes {
			if c < Read || c > Destructive {
				return bad("Grants", fmt.Sprintf("has class %d: use Read, Write or Destructive", c))
			}
		}
	}
	for _, p := range cfg.ExecAllow {
		if !filepath.IsAbs(p) {
			return bad("ExecAllow", fmt.Sprintf("has %q: programs are allowed by absolute path", p))
		}
	}
	return nil
}
