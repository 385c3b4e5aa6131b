// Package supervisorhttp serves a supervision tree's health, state and
// journal over HTTP, for Kubernetes probes and for operators.
//
// Each handler is a plain http.Handler to mount on any mux:
//
//   - Liveness ("/livez"): 200 "ok" while Tree.Check succeeds within a
//     timeout; 503 with the error otherwise, and once the tree has ended.
//   - Readiness ("/readyz"): 200 while the tree runs and every child is
//     ready; 503 otherwise, listing the children that are not (see
//     Readiness for what counts as ready).
//   - State ("/state"): the JSON of Tree.Snapshot.
//   - Journal ("/journal"): the JSON of Tree.Journal, optionally only the
//     events after ?after=SEQ.
//
// Handler serves all four under one http.Handler and Mount registers them
// on an http.ServeMux under a prefix. Every handler answers GET and HEAD
// only, and 405 Method Not Allowed to any other method. docs/health.md
// explains how to wire them to Kubernetes probes.
package supervisorhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// DefaultTimeout is how long the liveness handler waits for Tree.Check
// unless Timeout says otherwise.
const DefaultTimeout = time.Second

// Option configures the handlers of this package.
type Option func(*config)

type config struct {
	timeout time.Duration
	ignore  map[supervisor.State]bool
}

func newConfig(opts []Option) *config {
	c := &config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Timeout sets how long the liveness handler waits for Tree.Check to
// answer (DefaultTimeout if d <= 0). The request's own context bounds the
// wait too.
func Timeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			d = DefaultTimeout
		}
		c.timeout = d
	}
}

// IgnoreStates makes the readiness handler disregard children in the given
// states, typically supervisor.StatePaused and supervisor.StateQuarantined
// for a service that stays ready while an operator has taken a part of it
// out of service. By default every state but running and ready (and stopped
// after a normal exit) holds readiness back.
func IgnoreStates(states ...supervisor.State) Option {
	return func(c *config) {
		if c.ignore == nil {
			c.ignore = make(map[supervisor.State]bool, len(states))
		}
		for _, s := range states {
			c.ignore[s] = true
		}
	}
}

// Liveness returns a handler for a liveness probe. It answers 200 with the
// body "ok" when tree.Check succeeds within the Timeout, and 503 Service
// Unavailable with the error's text when it does not: a control loop did
// not answer in time, or the tree has ended (supervisor.ErrShuttingDown).
func Liveness(tree *supervisor.Tree, opts ...Option) http.Handler {
	c := newConfig(opts)
	return readOnly(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
		defer cancel()
		if err := tree.Check(ctx); err != nil {
			writeText(w, r, http.StatusServiceUnavailable, err.Error())
			return
		}
		writeText(w, r, http.StatusOK, "ok")
	})
}

// ReadinessReport is the JSON body of the readiness handler.
type ReadinessReport struct {
	// Ready is true when the status is 200.
	Ready bool `json:"ready"`
	// Seq is the sequence number of the last event the answer reflects
	// (Snapshot.Seq).
	Seq uint64 `json:"seq"`
	// Reason says why a tree as a whole is not ready ("tree ended").
	Reason string `json:"reason,omitempty"`
	// NotReady lists the children that hold readiness back, in the
	// snapshot's order.
	NotReady []NotReadyChild `json:"not_ready,omitempty"`
}

// NotReadyChild is a child that holds readiness back.
type NotReadyChild struct {
	Path  string           `json:"path"`
	State supervisor.State `json:"state"`
	// WaitingFor, Reason and NextAttempt are the child's ChildInfo
	// fields of the same names.
	WaitingFor  string    `json:"waiting_for,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Error is the error of the child's last exit, if any.
	Error string `json:"error,omitempty"`
}

// Readiness returns a handler for readiness and startup probes. It answers
// 200 when the tree has not ended and every child counts as ready, and 503
// Service Unavailable otherwise; the body is a ReadinessReport in JSON
// either way.
//
// A child counts as ready when ChildInfo.Ready is true (it is running, or
// ready after calling supervisor.Ready with ReadinessExplicit), or when it
// is stopped after a normal exit (a Transient or Temporary child that has
// finished its work: nothing will run it again). A child starting, pending,
// stopping, in backoff, failed, or stopped for any other reason is not
// ready; nor, by default, is a paused or quarantined child: an operator's
// decision or a restart limit took it out of service, and the service is
// degraded. IgnoreStates makes such states count as ready. Nested
// supervisors count like workers, and their children are checked too.
func Readiness(tree *supervisor.Tree, opts ...Option) http.Handler {
	c := newConfig(opts)
	return readOnly(func(w http.ResponseWriter, r *http.Request) {
		rep := readiness(tree, c)
		status := http.StatusOK
		if !rep.Ready {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, r, status, rep)
	})
}

func readiness(tree *supervisor.Tree, c *config) ReadinessReport {
	s := tree.Snapshot()
	rep := ReadinessReport{Seq: s.Seq}
	select {
	case <-tree.Done():
		rep.Reason = "tree ended"
		return rep
	default:
	}
	for _, ch := range s.Children {
		if childReady(ch, c) {
			continue
		}
		rep.NotReady = append(rep.NotReady, NotReadyChild{Path: ch.Path, State: ch.State,
			WaitingFor: ch.WaitingFor, Reason: ch.Reason, NextAttempt: ch.NextAttempt, Error: textfmt.Error(ch.LastExit.Err)})
	}
	rep.Ready = len(rep.NotReady) == 0
	return rep
}

func childReady(ch supervisor.ChildInfo, c *config) bool {
	switch {
	case ch.Ready, c.ignore[ch.State]:
		return true
	case ch.State == supervisor.StateStopped:
		cl := ch.LastExit.Class
		return cl == supervisor.ExitNormal || cl == supervisor.ExitShutdown
	}
	return false
}

// State returns a handler that answers with the JSON of tree.Snapshot(), a
// supervisor.Snapshot, with Content-Type application/json.
func State(tree *supervisor.Tree) http.Handler {
	return readOnly(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, tree.Snapshot())
	})
}

// Journal returns a handler that answers with the JSON of tree.Journal(),
// a supervisor.Journal. The query parameter after=SEQ keeps only the events
// whose Seq is greater than SEQ, for a client that follows the journal by
// polling with the last Seq it saw; a value that is not an unsigned integer
// is a 400 Bad Request naming the parameter.
func Journal(tree *supervisor.Tree) http.Handler {
	return readOnly(func(w http.ResponseWriter, r *http.Request) {
		var after uint64
		if v, ok := r.URL.Query()["after"]; ok {
			var err error
			if len(v) != 1 {
				err = fmt.Errorf("given %d times", len(v))
			} else if after, err = strconv.ParseUint(v[0], 10, 64); err != nil {
				err = fmt.Errorf("%q is not a sequence number", v[0])
			}
			if err != nil {
				writeText(w, r, http.StatusBadRequest, "bad query parameter after: "+err.Error())
				return
			}
		}
		j := tree.Journal()
		// Events are in Seq order: keep those after the given one.
		i := sort.Search(len(j.Events), func(i int) bool { return j.Events[i].Seq > after })
		j.Events = j.Events[i:]
		writeJSON(w, r, http.StatusOK, j)
	})
}

// Handler returns a handler serving Liveness at /livez, Readiness at
// /readyz, State at /state and Journal at /journal, with opts, and 404 Not
// Found for any other path. To serve them under a prefix, use Mount or
// http.StripPrefix.
func Handler(tree *supervisor.Tree, opts ...Option) http.Handler {
	mux := http.NewServeMux()
	Mount(mux, "", tree, opts...)
	return mux
}

// Mount registers the handlers of Handler on mux at prefix+"/livez",
// prefix+"/readyz", prefix+"/state" and prefix+"/journal". A trailing slash
// of prefix is dropped: Mount(mux, "/debug/supervisor/", ...) serves
// /debug/supervisor/livez. Like http.ServeMux.Handle, it panics if a
// pattern is already registered, and if prefix is neither empty nor a path
// starting with "/" (ServeMux would read "debug/livez" as the path /livez
// of the host "debug").
func Mount(mux *http.ServeMux, prefix string, tree *supervisor.Tree, opts ...Option) {
	if prefix != "" && prefix[0] != '/' {
		panic(fmt.Sprintf("supervisorhttp: Mount prefix %q must be empty or start with \"/\", as in \"/%s\"", prefix, prefix))
	}
	prefix = strings.TrimRight(prefix, "/")
	mux.Handle(prefix+"/livez", Liveness(tree, opts...))
	mux.Handle(prefix+"/readyz", Readiness(tree, opts...))
	mux.Handle(prefix+"/state", State(tree))
	mux.Handle(prefix+"/journal", Journal(tree))
}

// readOnly answers 405 to any method but GET and HEAD.
func readOnly(f http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeText(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
			return
		}
		f(w, r)
	})
}

func noStore(w http.ResponseWriter, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeText(w http.ResponseWriter, r *http.Request, status int, text string) {
	noStore(w, "text/plain; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintln(w, text)
	}
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeText(w, r, http.StatusInternalServerError, "encoding JSON: "+err.Error())
		return
	}
	noStore(w, "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
}
