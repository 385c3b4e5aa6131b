// Package ipc serves a running supervision tree to operators' tools on a
// Unix socket: the target end of the dashboard system
// (supervisor-dashboard/1, docs/protocol.md). One call, Listen, makes a
// tree observable and controllable by `supervisor ctl` and by the relay
// that serves the browser dashboard: its state, its events and logs as
// live streams, and the control API's commands, behind the security
// controls docs/ipc-security.md describes.
package ipc
