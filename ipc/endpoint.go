package ipc

import (
	"cmp"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
)

// ChildDecoder turns the text of an add command's child, a config file's
// child entry, into a child, and lists the programs it runs, for the exec
// allowlist (C9). The config package's Loader is one.
type ChildDecoder interface {
	DecodeChild(text []byte) (child supervisor.Child, runs []Exec, err error)
}

// Exec is a program a child runs, as its config entry writes it.
type Exec struct {
	// Program is the program's path.
	Program string
	// Env is the environment the entry sets, each value as written
	// (${NAME} references unresolved).
	Env map[string]string
}

// Reloader is the config file a tree was loaded from: plan says what
// applying it now would change, apply applies it, as a SIGHUP does.
type Reloader interface {
	Plan(ctx context.Context) (*supervisor.Plan, error)
	Reload(ctx context.Context, audit supervisor.Audit) (*supervisor.Plan, error)
}

// Stopper shuts the tree down for the shutdown command, where the program
// has its own way to (supervisor run: as a signal does, within its
// --shutdown-timeout).
type Stopper interface {
	Shutdown(ctx context.Context, audit supervisor.Audit) (*supervisor.ShutdownReport, error)
}

// Wiring connects an endpoint to the rest of the program. Each part is
// optional: without it, the methods that need it answer unavailable.
type Wiring struct {
	// Stopper, if set, carries out the shutdown command instead of
	// Tree.Shutdown.
	Stopper Stopper
	// Logs serves the logs stream; the program logs through Logs.Handler.
	Logs *Logs
	// Children decodes add's child.
	Children ChildDecoder
	// File serves plan and apply.
	File Reloader
}

// Endpoint serves a tree on a Unix socket. Close it when done.
type Endpoint struct {
	tree     *supervisor.Tree
	cfg      Config
	wiring   Wiring
	ln       *boundListener
	audit    *auditLog
	commands *commandCache
	started  time.Time

	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	polled  context.Context // always done: to take what a queue holds without waiting
	methods []method
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[*conn]struct{}
	closed  bool // Close has begun: admit no more

	refused atomic.Uint64 // connections refused: too many, or a peer C2 refuses
	sampled sampled       // the last resource sample of the children
	buffers pushBuffers   // event batches' buffers, recycled
	logSubs atomic.Int64  // logs subscriptions served
	denied  atomic.Uint64 // requests refused by a control
}

// Listen binds cfg.Path and serves tree on it until Close. It fails if the
// path cannot be bound as cfg.BindMode says (a *BindError) or cfg is not
// valid.
func Listen(tree *supervisor.Tree, cfg Config, w Wiring) (*Endpoint, error) {
	s, err := Bind(cfg)
	if err != nil {
		return nil, err
	}
	return s.Serve(tree, w), nil
}

// Socket is a bound socket, not yet serving a tree.
type Socket struct {
	cfg Config
	ln  *boundListener
}

// Bind binds cfg.Path as Listen does, before there is a tree to serve: a
// program binds first, so that a path in use stops it before its tree
// starts (a second instance must not start the children twice), then
// serves its tree with Serve. Close a Socket that is not served.
func Bind(cfg Config) (*Socket, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	ln, err := bind(cfg.Path, cfg.Mode, cfg.BindMode)
	if err != nil {
		return nil, err
	}
	return &Socket{cfg: cfg, ln: ln}, nil
}

// Close closes a socket that is not served, and removes it.
func (s *Socket) Close() error { return s.ln.Close() }

// Serve serves tree on the socket until the endpoint's Close.
func (s *Socket) Serve(tree *supervisor.Tree, w Wiring) *Endpoint {
	cfg := s.cfg
	cfg.TargetID = cmp.Or(cfg.TargetID, tree.Name(), "supervisor")
	ctx, cancel := context.WithCancel(context.Background())
	polled, done := context.WithCancel(context.Background())
	done()
	e := &Endpoint{tree: tree, cfg: cfg, wiring: w, ln: s.ln, audit: openAudit(cfg.AuditFile),
		commands: newCommandCache(cfg.CommandTTL), started: time.Now(),
		ctx: ctx, cancel: cancel, polled: polled, methods: methods(), conns: make(map[*conn]struct{})}
	e.wg.Add(1)
	go e.serve()
	return e
}

// Path returns the socket's path.
func (e *Endpoint) Path() string { return e.cfg.Path }

// Close stops serving: it closes the listener and removes the socket,
// then ends every connection, each once the commands it began have run
// and their answers are written; then it returns.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	err := e.ln.Close()
	e.mu.Lock()
	e.closed = true
	for c := range e.conns {
		c.stop()
	}
	e.mu.Unlock()
	e.wg.Wait()
	e.cancel()
	return errors.Join(err, e.audit.Close())
}

// serve accepts connections until Close.
func (e *Endpoint) serve() {
	defer e.wg.Done()
	for {
		nc, err := e.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors: let some close
			continue
		}
		e.admit(nc)
	}
}

// admit starts serving nc, or refuses it with one error line: the
// endpoint is full, or the peer is not allowed (C2).
func (e *Endpoint) admit(nc *net.UnixConn) {
	p, err := peerOf(nc)
	if err == nil {
		err = admits(&e.cfg, p)
	}
	e.mu.Lock()
	full := len(e.conns) >= e.cfg.MaxConns || e.closed
	var c *conn
	if err == nil && !full {
		c = newConn(e, nc, p)
		e.conns[c] = struct{}{}
		e.wg.Add(1)
	}
	e.mu.Unlock()
	if c != nil {
		go c.serve()
		return
	}
	e.refused.Add(1)
	refusal := &Error{Code: "too_many_connections", Retryable: true,
		Message: "the target serves its most connections at once: try again later"}
	if err == nil {
		e.auditDenial(p, "connect", "", refusal.Code)
	}
	if err != nil {
		refusal = &Error{Code: "peer_refused", Message: err.Error()}
		code := "peer_refused"
		var ce *controlError
		if errors.As(err, &ce) {
			code = ce.Code
		}
		if code == "peer_cred_unavailable" {
			p = peer{UID: ^uint32(0), GID: ^uint32(0)} // not root: unknown
		}
		e.auditDenial(p, "connect", "", code)
	}
	e.wg.Add(1) // Close waits for it, at most the write timeout
	go func() {
		defer e.wg.Done()
		refuse(nc, refusal, e.cfg.WriteTimeout)
	}()
}

// refuse writes one error line to nc and closes it.
func refuse(nc *net.UnixConn, why *Error, timeout time.Duration) {
	nc.SetWriteDeadline(time.Now().Add(timeout))
	nc.Write(encodeLine(Response{Error: why}))
	nc.Close()
}

// forget removes c once it has ended.
func (e *Endpoint) forget(c *conn) {
	e.mu.Lock()
	delete(e.conns, c)
	e.mu.Unlock()
	e.wg.Done()
}

// auditDenial records a request a control refused.
func (e *Endpoint) auditDenial(p peer, method, path, code string) {
	e.denied.Add(1)
	e.audit.deny(auditRecord{Time: time.Now(), UID: p.UID, GID: p.GID, PID: p.PID,
		Method: method, Path: path, Decision: "denied", Code: code})
}

// resolve returns cfg with its defaults set, or why it is not valid. The
// target id's default is the tree's name: Serve sets it.
func (cfg Config) resolve() (Config, error) {
	if cfg.Mode == 0 {
		cfg.Mode = 0o600
	}
	if len(cfg.AllowUIDs) == 0 {
		cfg.AllowUIDs = []uint32{uint32(os.Geteuid())} // SO_PEERCRED gives the effective uid
	}
	cfg.MaxLine = orDefault(cfg.MaxLine, 64<<10)
	cfg.Burst = orDefault(cfg.Burst, 200)
	cfg.MaxConns = orDefault(cfg.MaxConns, 1024)
	cfg.QueueSize = orDefault(cfg.QueueSize, 4096)
	cfg.IdleTimeout = orDefault(cfg.IdleTimeout, 5*time.Minute)
	cfg.WriteTimeout = orDefault(cfg.WriteTimeout, 10*time.Second)
	cfg.SlowLimit = orDefault(cfg.SlowLimit, 30*time.Second)
	cfg.CommandTTL = orDefault(cfg.CommandTTL, 10*time.Minute)
	if cfg.Rate == 0 {
		cfg.Rate = 100
	}
	if cfg.AuditFile == "" {
		cfg.AuditFile = cfg.Path + ".audit"
	}
	return cfg, cfg.validate()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// stats counts the endpoint's connections and refusals.
func (e *Endpoint) stats() EndpointStats {
	e.mu.Lock()
	n := len(e.conns)
	e.mu.Unlock()
	return EndpointStats{Connections: n, Refused: e.refused.Load(), Denied: e.denied.Load(),
		AuditFailures: e.audit.failures()}
}
