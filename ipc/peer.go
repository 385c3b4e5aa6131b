package ipc

import (
	"fmt"
	"os"
	"slices"
)

// peer is the process at the other end of a connection, as the kernel
// reports it (SO_PEERCRED): its effective uid and gid and its pid when it
// connected.
type peer struct {
	UID, GID uint32
	PID      int32
}

// controlError is a request or a connection a security control refused.
// Code is the snake_case code of the protocol's error; the message says
// what was refused and how to allow it.
type controlError struct {
	Code string
	msg  string
}

// Error returns the message.
func (e *controlError) Error() string { return e.msg }

// The codes of controlError.
const (
	codePeerCredUnavailable = "peer_cred_unavailable"
	codePeerUIDNotAllowed   = "peer_uid_not_allowed"
	codePeerGIDNotAllowed   = "peer_gid_not_allowed"
)

// admits returns nil if p may connect (control C2): its uid is one of
// cfg.AllowUIDs (the process's effective uid if the list is empty) and,
// if cfg.AllowGIDs is not empty, its gid is one of them. Otherwise it
// returns a *controlError naming the config key that would let p in.
func admits(cfg *Config, p peer) error {
	uids := cfg.AllowUIDs
	if len(uids) == 0 {
		uids = []uint32{uint32(os.Geteuid())}
	}
	if !slices.Contains(uids, p.UID) {
		return &controlError{Code: codePeerUIDNotAllowed, msg: fmt.Sprintf(
			"ipc: a process of uid %d (pid %d) may not connect: the allowed uids are %v; add %d to ipc: allow_uids in the target's config to let it in",
			p.UID, p.PID, uids, p.UID)}
	}
	if len(cfg.AllowGIDs) > 0 && !slices.Contains(cfg.AllowGIDs, p.GID) {
		return &controlError{Code: codePeerGIDNotAllowed, msg: fmt.Sprintf(
			"ipc: a process of uid %d and gid %d (pid %d) may not connect: the allowed gids are %v; add %d to ipc: allow_gids in the target's config to let it in",
			p.UID, p.GID, p.PID, cfg.AllowGIDs, p.GID)}
	}
	return nil
}

// allows reports whether p may call methods of class c (control C3): with
// no cfg.Grants, every peer admits lets in may call every method; with
// grants, some grant must match p (its uid in UIDs or its gid in GIDs)
// and list c. A peer no grant matches may call nothing, not even Read
// methods: the caller decides whether hello, which says what the peer
// may do, is exempt.
func allows(cfg *Config, p peer, c Class) bool {
	if len(cfg.Grants) == 0 {
		return true
	}
	for _, g := range cfg.Grants {
		matches := slices.Contains(g.UIDs, p.UID) || slices.Contains(g.GIDs, p.GID)
		if matches && slices.Contains(g.Classes, c) {
			return true
		}
	}
	return false
}
