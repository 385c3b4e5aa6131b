package ipc

import (
	"encoding/json"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Protocol names the protocol this package speaks; hello negotiates it.
const Protocol = "supervisor-dashboard/1"

// The lines of the protocol (docs/protocol.md has every message, field and
// error code). A client sends requests; the target answers each with one
// response carrying the request's id, and sends pushes for the client's
// subscriptions on the same connection, in between. A line with a "push"
// key is a push; any other is a response.

// Request is a line a client sends.
type Request struct {
	// ID is chosen by the client and echoed in the response; a repeat on
	// the same connection is refused (replayed_request).
	ID string `json:"id"`
	// Method is one of the methods of docs/protocol.md.
	Method string `json:"method"`
	// Params are the method's; absent for methods that take none.
	Params json.RawMessage `json:"params,omitempty"`
}

// Response answers a request.
type Response struct {
	ID     string          `json:"id"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Error is why a request failed: a code of the catalog
// (docs/protocol.md#errors), a sentence for people, and whether the same
// request may succeed later.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Push is a line the target sends for a subscription.
type Push struct {
	// Push is the kind: "event", "log", "gap", or "end" once the tree has
	// ended and every event of it has been sent.
	Push string `json:"push"`
	// Target and Epoch say whose stream it is: the target's id and its
	// tree's id, new each time the target's tree starts, so that a
	// consumer knows when sequence numbers start again.
	Target string `json:"target"`
	Epoch  string `json:"epoch"`
	// Event is the engine's event, for an "event" push.
	Event *supervisor.Event `json:"event,omitempty"`
	// Log is a log record, for a "log" push.
	Log *LogRecord `json:"log,omitempty"`
	// Gap says what a subscriber missed, for a "gap" push.
	Gap *Gap `json:"gap,omitempty"`
}

// Gap tells a subscriber that Count records of Stream after AfterSeq are
// not coming: the journal or scrollback no longer held them, or the
// subscriber fell behind its queue.
type Gap struct {
	Stream   string `json:"stream"`
	AfterSeq uint64 `json:"after_seq"`
	Count    uint64 `json:"count"`
	// Reason is "journal" (the target no longer holds them) or "slow" (the
	// subscriber's queue was full).
	Reason string `json:"reason"`
}

// LogRecord is a log record of the target: a log/slog record of its
// program, or a line a process child printed.
type LogRecord struct {
	// Seq numbers the target's log records, apart from its events.
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Level string    `json:"level"`
	Msg   string    `json:"msg"`
	// Path is the child the record is about ("" for the program's own);
	// Stream is "stdout" or "stderr" for a line a process printed.
	Path   string `json:"path,omitempty"`
	Stream string `json:"stream,omitempty"`
	PID    int    `json:"pid,omitempty"`
	// Attrs are the record's other attributes, as log/slog's JSON handler
	// writes them.
	Attrs map[string]any `json:"attrs,omitempty"`
}

// HelloParams are hello's.
type HelloParams struct {
	// Protocols the client speaks; the target picks the one it speaks, or
	// answers unsupported_protocol. Empty means Protocol.
	Protocols []string `json:"protocols,omitempty"`
	// Client names the client program, for the target's audit records of
	// the connection's requests.
	Client string `json:"client,omitempty"`
}

// HelloResult describes the target.
type HelloResult struct {
	Protocol string    `json:"protocol"`
	Target   string    `json:"target"`
	Epoch    string    `json:"epoch"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	// Methods are every method the target serves; Commands those of them
	// that are commands; Allowed those the peer may call (C3).
	Methods  []string `json:"methods"`
	Commands []string `json:"commands"`
	Allowed  []string `json:"allowed"`
	// Peer is the client as the kernel tells it (SO_PEERCRED).
	Peer  Peer  `json:"peer"`
	Limit Limit `json:"limit"`
}

// Peer is a client process's credentials.
type Peer struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	PID int32  `json:"pid"`
}

// Limit is what the target allows a connection.
type Limit struct {
	MaxLine   int     `json:"max_line"`
	Rate      float64 `json:"rate"`
	Burst     int     `json:"burst"`
	QueueSize int     `json:"queue_size"`
}

// StateParams are state's.
type StateParams struct {
	// Stats asks for each child's resource use (ChildStats), sampled now.
	Stats bool `json:"stats,omitempty"`
}

// StateResult is the tree's state.
type StateResult struct {
	Target string `json:"target"`
	// Snapshot is the engine's, with the Seq of the last event it
	// reflects: apply only events above it.
	Snapshot supervisor.Snapshot `json:"snapshot"`
	Stats    []ChildStats        `json:"stats,omitempty"`
	// Endpoint counts what the endpoint refused.
	Endpoint EndpointStats `json:"endpoint"`
}

// EndpointStats counts an endpoint's connections and refusals.
type EndpointStats struct {
	Connections int `json:"connections"`
	// Refused counts connections refused: a peer C2 does not admit, or one
	// past the most connections.
	Refused uint64 `json:"refused"`
	// Denied counts requests a control refused.
	Denied uint64 `json:"denied"`
	// AuditFailures counts the audit records that could not be written:
	// while they fail, commands are refused (C7).
	AuditFailures uint64 `json:"audit_failures"`
}

// ChildStats is a child's resource use: a process child's process, or the
// goroutines a goroutine child runs.
type ChildStats struct {
	Path string `json:"path"`
	// Goroutines counts those carrying the child's label.
	Goroutines int `json:"goroutines,omitempty"`
	// PID, RSS (bytes), CPU (user and system time) and OpenFiles describe
	// a process child's process.
	PID       int      `json:"pid,omitempty"`
	RSS       uint64   `json:"rss,omitempty"`
	CPU       Duration `json:"cpu,omitzero"`
	OpenFiles int      `json:"open_files,omitempty"`
}

// Duration is a time.Duration written as a config file writes it ("1.5s",
// "2m"), as every duration of the protocol is.
type Duration time.Duration

// MarshalText writes d as config text.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(textfmt.Duration(time.Duration(d))), nil
}

// UnmarshalText reads what MarshalText writes.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// SubscribeParams are subscribe's.
type SubscribeParams struct {
	// Stream is "events" or "logs".
	Stream string `json:"stream"`
	// After asks for the records after this sequence number first,
	// replayed from the journal (events) or the log buffer; absent means
	// from now on. 0 is from the first.
	After *uint64 `json:"after,omitempty"`
	// Path and Source filter logs: one child's records ("" for all) and
	// one of its streams ("stdout", "stderr"; "" for both).
	Path   string `json:"path,omitempty"`
	Source string `json:"source,omitempty"`
}

// SubscribeResult confirms a subscription; its pushes follow.
type SubscribeResult struct {
	Stream string `json:"stream"`
	Epoch  string `json:"epoch"`
}

// UnsubscribeParams are unsubscribe's.
type UnsubscribeParams struct {
	Stream string `json:"stream"`
}

// LogsParams page back through the log records the target keeps.
type LogsParams struct {
	Path   string `json:"path,omitempty"`
	Source string `json:"source,omitempty"`
	// Before returns records older than this sequence number; 0 means the
	// newest.
	Before uint64 `json:"before,omitempty"`
	// Limit is the most records returned: 100 by default, at most 1000.
	Limit int `json:"limit,omitempty"`
}

// LogsResult is a page of log records, oldest first; More says whether
// older ones are kept.
type LogsResult struct {
	Records []LogRecord `json:"records"`
	More    bool        `json:"more"`
}

// PlanResult is what applying the config file the tree came from would
// change now.
type PlanResult struct {
	Plan *supervisor.Plan `json:"plan"`
}

// CommandParams are every command's: restart, pause, resume, quarantine,
// reset, remove, add, shutdown, plan and apply.
type CommandParams struct {
	// CommandID makes the command idempotent: a repeat returns the first
	// result without running it again.
	CommandID string `json:"command_id"`
	// Path is the child (restart, pause, resume, quarantine, reset,
	// remove) or the supervisor to add to (add).
	Path string `json:"path,omitempty"`
	// Who and Why are the audit record; both are required.
	Who string `json:"who"`
	Why string `json:"why"`
	// Confirmed must be true for destructive commands (remove, shutdown,
	// apply).
	Confirmed bool `json:"confirmed,omitempty"`
	// Child is the child add adds, written as a config file's child entry
	// (YAML or JSON).
	Child string `json:"child,omitempty"`
}

// CommandResult is what a command did.
type CommandResult struct {
	CommandID string `json:"command_id"`
	Command   string `json:"command"`
	Path      string `json:"path,omitempty"`
	// Seq is the tree's newest event when the command returned: its
	// events are at or below it.
	Seq uint64 `json:"seq"`
	// Plan is what apply changed.
	Plan *supervisor.Plan `json:"plan,omitempty"`
	// Report is shutdown's.
	Report *supervisor.ShutdownReport `json:"report,omitempty"`
}
