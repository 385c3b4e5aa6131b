package ipc

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"time"
)

// A method is what a request names: its class, for authorization (C3),
// and either how it reads (read) or the command it is (cmd).
type method struct {
	name  string
	class Class
	// read answers the request; after, if not nil, runs once the answer
	// is queued (a subscription's pushes follow its answer).
	read func(c *conn, req *Request) (result any, after func(), err *Error)
	cmd  *commandDef
}

// methods lists every method, in hello's order.
func methods() []method {
	ms := []method{
		{name: "hello", class: Read, read: (*conn).hello},
		{name: "state", class: Read, read: (*conn).state},
		{name: "subscribe", class: Read, read: (*conn).subscribe},
		{name: "unsubscribe", class: Read, read: (*conn).unsubscribe},
		{name: "logs", class: Read, read: (*conn).logs},
		{name: "plan", class: Read, read: (*conn).plan},
	}
	for _, cmd := range commands() {
		ms = append(ms, method{name: cmd.name, class: cmd.class, cmd: &cmd})
	}
	return ms
}

// method returns the method named name.
func (e *Endpoint) method(name string) (method, bool) {
	i := slices.IndexFunc(e.methods, func(m method) bool { return m.name == name })
	if i < 0 {
		return method{}, false
	}
	return e.methods[i], true
}

// handle answers one request line, after the controls that guard every
// request: the connection's rate (C6), the request's form, its id not
// seen before on the connection (C4), and the peer's right to call the
// method (C3).
func (c *conn) handle(line []byte) {
	req, err := parseRequest(line)
	switch {
	case !c.bucket.allow(time.Now()):
		err = &Error{Code: "rate_limited", Retryable: true,
			Message: "the connection sends requests faster than the target's limit (hello's limit.rate): slow down"}
	case err != nil:
	case !c.ids.add(req.ID):
		err = &Error{Code: "replayed_request", Message: "request id " + quote(req.ID) + " was used before on this connection: give each request a new id"}
	}
	if err != nil {
		c.e.denied.Add(1)
		if err.Code == "rate_limited" || err.Code == "replayed_request" { // C6, C4
			c.e.auditDenial(c.peer, req.Method, "", err.Code)
		}
		c.reply(req.ID, nil, err)
		return
	}
	m, ok := c.e.method(req.Method)
	switch {
	case !ok:
		c.reply(req.ID, nil, &Error{Code: "unknown_method",
			Message: "no method " + quote(req.Method) + ": hello lists the target's methods"})
	case m.name != "hello" && !allows(&c.e.cfg, c.peer, m.class): // hello always answers
		c.e.auditDenial(c.peer, m.name, "", "forbidden")
		c.reply(req.ID, nil, &Error{Code: "forbidden",
			Message: "uid " + itoa(c.peer.UID) + " may not call " + m.name + ": the target's ipc grants say who may"})
	case m.cmd != nil:
		c.command(req, m.cmd)
	default:
		result, after, err := m.read(c, req)
		c.reply(req.ID, result, err)
		if after != nil && err == nil {
			after()
		}
	}
}

// parseRequest decodes a request line. A line that is not a request
// still gives its id back when one can be read from it.
func parseRequest(line []byte) (*Request, *Error) {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(line, &id)
		return &Request{ID: id.ID}, &Error{Code: "invalid_json", Message: "the request is not a JSON object: " + err.Error()}
	}
	if err := strictKeys(line, &req); err != nil {
		return &req, &Error{Code: "invalid_request", Message: "the request: " + err.Error()}
	}
	if req.ID == "" || req.Method == "" {
		return &req, &Error{Code: "invalid_request", Message: "a request needs an id and a method: {\"id\": \"1\", \"method\": \"hello\"}"}
	}
	return &req, nil
}

// decodeParams decodes a request's params into v strictly: an unknown
// field is an error, as a misspelt one would otherwise do nothing.
func decodeParams(req *Request, v any) *Error {
	if len(req.Params) == 0 || string(req.Params) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(req.Params))
	d.DisallowUnknownFields()
	err := strictKeys(req.Params, v)
	if err == nil {
		err = d.Decode(v)
	}
	if err != nil {
		return &Error{Code: "invalid_params", Message: req.Method + "'s params: " + err.Error() + " (docs/protocol.md lists them)"}
	}
	return nil
}

func (c *conn) hello(req *Request) (any, func(), *Error) {
	var p HelloParams
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	if len(p.Protocols) > 0 && !slices.Contains(p.Protocols, Protocol) {
		return nil, nil, &Error{Code: "unsupported_protocol", Message: "the target speaks " + Protocol + " only"}
	}
	c.setClient(p.Client)
	r := HelloResult{Protocol: Protocol, Target: c.e.cfg.TargetID, Epoch: c.e.tree.ID(), PID: os.Getpid(),
		Started: c.e.started, Peer: Peer(c.peer), Methods: []string{}, Commands: []string{}, Allowed: []string{},
		Limit: Limit{MaxLine: c.e.cfg.MaxLine, Rate: c.e.cfg.Rate, Burst: c.e.cfg.Burst, QueueSize: c.e.cfg.QueueSize}}
	for _, m := range c.e.methods {
		r.Methods = append(r.Methods, m.name)
		if m.cmd != nil {
			r.Commands = append(r.Commands, m.name)
		}
		if m.name == "hello" || allows(&c.e.cfg, c.peer, m.class) {
			r.Allowed = append(r.Allowed, m.name)
		}
	}
	return r, nil, nil
}

func (c *conn) state(req *Request) (any, func(), *Error) {
	var p StateParams
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	r := StateResult{Target: c.e.cfg.TargetID, Snapshot: c.e.tree.Snapshot(), Endpoint: c.e.stats()}
	if p.Stats {
		r.Stats = c.e.childStats(r.Snapshot)
	}
	return r, nil, nil
}

func (c *conn) logs(req *Request) (any, func(), *Error) {
	p := LogsParams{Limit: 100}
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	if c.e.wiring.Logs == nil {
		return nil, nil, unavailable("logs", "the program serves no logs (ipc.Wiring.Logs)")
	}
	if p.Limit <= 0 || p.Limit > 1000 {
		return nil, nil, &Error{Code: "invalid_params", Message: "logs' limit must be 1 to 1000"}
	}
	recs, more := c.e.wiring.Logs.page(logFilter{path: p.Path, source: p.Source}, p.Before, p.Limit)
	if recs == nil {
		recs = []LogRecord{}
	}
	return LogsResult{Records: recs, More: more}, nil, nil
}

func (c *conn) plan(req *Request) (any, func(), *Error) {
	if err := decodeParams(req, &struct{}{}); err != nil {
		return nil, nil, err
	}
	if c.e.wiring.File == nil {
		return nil, nil, unavailable("plan", "the tree was not loaded from a config file")
	}
	plan, err := c.e.wiring.File.Plan(c.ctx)
	if err != nil {
		return nil, nil, engineError(err)
	}
	return PlanResult{Plan: plan}, nil, nil
}

// unavailable is the error of a method the program did not wire.
func unavailable(method, why string) *Error {
	return &Error{Code: "unavailable", Message: method + " is not available: " + why}
}

// setClient records the name hello gave the client's program.
func (c *conn) setClient(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.client = quote(name)
}

// clientName returns the name hello gave the client's program, quoted.
func (c *conn) clientName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}
