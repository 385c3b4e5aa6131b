package ipc

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/go-supervisor/supervisor"
)

// A command changes the tree through its control API, with an audit
// record.
type commandDef struct {
	name  string
	class Class
	path  bool // needs a path
	run   func(c *conn, ctx context.Context, p *CommandParams, a supervisor.Audit) (CommandResult, error)
}

// commands lists every command, in hello's order.
func commands() []commandDef {
	type runner = func(*conn, context.Context, *CommandParams, supervisor.Audit) (CommandResult, error)
	child := func(f func(*supervisor.Tree, context.Context, string, supervisor.Audit) error) runner {
		return func(c *conn, ctx context.Context, p *CommandParams, a supervisor.Audit) (CommandResult, error) {
			return CommandResult{}, f(c.e.tree, ctx, p.Path, a)
		}
	}
	return []commandDef{
		{name: "restart", class: Write, path: true, run: child((*supervisor.Tree).RestartChild)},
		{name: "pause", class: Write, path: true, run: child((*supervisor.Tree).PauseChild)},
		{name: "resume", class: Write, path: true, run: child((*supervisor.Tree).ResumeChild)},
		{name: "quarantine", class: Write, path: true, run: child((*supervisor.Tree).QuarantineChild)},
		{name: "reset", class: Write, path: true, run: child((*supervisor.Tree).ResetChild)},
		{name: "add", class: Write, path: true, run: (*conn).add},
		{name: "remove", class: Destructive, path: true, run: child((*supervisor.Tree).RemoveChild)},
		{name: "shutdown", class: Destructive, run: (*conn).shutdown},
		{name: "apply", class: Destructive, run: (*conn).apply},
	}
}

// command runs a command request: its params checked, its record
// written to the audit file and synced (C7), and, for a command id seen
// before, the first run's response instead of a second run (C8).
func (c *conn) command(req *Request, cmd *commandDef) {
	var p CommandParams
	err := decodeParams(req, &p)
	if err == nil {
		err = checkCommand(cmd, &p)
	}
	if err == nil && cmd.name == "apply" && c.e.wiring.File == nil {
		err = unavailable("apply", "the tree was not loaded from a config file")
	}
	if err == nil && cmd.name == "add" {
		err = c.checkAdd(&p)
	}
	if err != nil {
		c.deny(cmd.name, &p, err.Code)
		c.reply(req.ID, nil, err)
		return
	}
	select { // the command runs in a goroutine of its own, holding a slot
	case c.slots <- struct{}{}:
	case <-c.ctx.Done():
		return
	}
	c.cmds.Add(1)
	go func() {
		defer func() { <-c.slots; c.cmds.Done() }()
		c.once(req, cmd, p)
	}()
}

// once runs a command request once for its command id (C8): the first
// request with the id runs it; a repeat waits for the first's response
// and answers with it; another command with the id is a conflict. If the
// first was abandoned before it ran (its audit record could not be
// written), the repeat runs it.
func (c *conn) once(req *Request, cmd *commandDef, p CommandParams) {
	fp := fingerprint(cmd.name, &p)
	for {
		prior, conflict, wait, full := c.e.commands.begin(p.CommandID, c.peer.UID, fp, time.Now())
		switch {
		case full:
			c.deny(cmd.name, &p, "busy")
			c.reply(req.ID, nil, &Error{Code: "busy", Retryable: true,
				Message: "the target keeps the results of its last commands for their retries, and has no room for more now: retry later"})
		case conflict:
			c.deny(cmd.name, &p, "command_conflict")
			c.reply(req.ID, nil, conflictError(p.CommandID))
		case prior != nil:
			r := prior.response
			r.ID = req.ID
			c.send(encodeLine(r))
		case wait != nil:
			select {
			case <-wait:
				continue
			case <-c.ctx.Done():
			}
		default:
			c.execute(req.ID, cmd, p)
		}
		return
	}
}

// execute runs a command whose id the cache has given this request: its
// audit record first, synced (C7), then the command, which then answers.
func (c *conn) execute(id string, cmd *commandDef, p CommandParams) {
	rec := c.auditRecord(cmd.name, &p)
	if err := c.e.audit.append(rec); err != nil {
		c.e.commands.abandon(p.CommandID)
		c.reply(id, nil, &Error{Code: "audit_unavailable", Retryable: true,
			Message: "the target cannot write its audit file, so it runs no command: " + err.Error()})
		return
	}
	// A command once audited runs to its end, whether or not its client
	// stays: a shutdown cancelled by a client going away would abandon
	// every child at once.
	result, err := cmd.run(c, context.WithoutCancel(c.ctx), &p, supervisor.Audit{Who: p.Who, Why: p.Why})
	result.CommandID, result.Command, result.Path = p.CommandID, cmd.name, p.Path
	result.Seq = c.e.tree.Snapshot().Seq
	r := Response{ID: id, OK: err == nil}
	rec.Result, rec.Time = "ok", time.Now()
	if err != nil {
		r.Error = engineError(err)
		rec.Result, rec.Code = "error", r.Error.Code
	} else {
		r.Result, _ = json.Marshal(result)
	}
	c.e.commands.finish(p.CommandID, r)
	c.e.audit.append(rec) // the command has run: a failure here is counted
	c.send(encodeLine(r))
}

func conflictError(id string) *Error {
	return &Error{Code: "command_conflict",
		Message: "command id " + quote(id) + " was used for another command: give each command a new id"}
}

// checkCommand checks what every command needs.
func checkCommand(cmd *commandDef, p *CommandParams) *Error {
	switch {
	case p.CommandID == "":
		return &Error{Code: "invalid_params", Message: cmd.name + " needs a command_id: a new one for each command, the same one to retry it"}
	case p.Who == "":
		return &Error{Code: "missing_who", Message: cmd.name + " needs who: the operator asking"}
	case p.Why == "":
		return &Error{Code: "missing_why", Message: cmd.name + " needs why: the reason, which the audit keeps"}
	case cmd.path && p.Path == "":
		return &Error{Code: "invalid_params", Message: cmd.name + " needs a path, such as /workers/w1"}
	case cmd.class == Destructive && !p.Confirmed:
		return &Error{Code: "not_confirmed", Message: cmd.name + " cannot be undone: send confirmed: true once the operator has confirmed it"}
	}
	return nil
}

// fingerprint identifies a command's params, for C8.
func fingerprint(name string, p *CommandParams) [32]byte {
	b, _ := json.Marshal(struct {
		Name string         `json:"name"`
		P    *CommandParams `json:"params"`
	}{name, p})
	return sha256.Sum256(b)
}

// deny records the denial of a command request, with what it gave.
func (c *conn) deny(name string, p *CommandParams, code string) {
	c.e.denied.Add(1)
	rec := c.auditRecord(name, p)
	rec.Decision, rec.Code = auditDenied, code
	c.e.audit.deny(rec)
}

// auditRecord is the audit record of a command request from c.
func (c *conn) auditRecord(name string, p *CommandParams) auditRecord {
	return auditRecord{Time: time.Now(), UID: c.peer.UID, GID: c.peer.GID, PID: c.peer.PID, Client: c.clientName(),
		Who: p.Who, Why: p.Why, Method: name, Path: p.Path, CommandID: p.CommandID, Child: p.Child, Decision: "allowed"}
}

// checkAdd decodes add's child and checks the programs it runs against
// the exec allowlist (C9).
func (c *conn) checkAdd(p *CommandParams) *Error {
	if c.e.wiring.Children == nil {
		return unavailable("add", "the program decodes no children (ipc.Wiring.Children)")
	}
	_, runs, err := c.e.wiring.Children.DecodeChild([]byte(p.Child))
	if err != nil {
		return &Error{Code: "invalid_child", Message: "add's child: " + err.Error()}
	}
	for _, x := range runs {
		if err := allowedProgram(&c.e.cfg, x.Program); err != nil {
			return &Error{Code: "program_not_allowed", Message: err.Error()}
		}
		if err := allowedEnv(&c.e.cfg, x.Env); err != nil {
			return &Error{Code: "program_not_allowed", Message: err.Error()}
		}
	}
	return nil
}

func (c *conn) add(ctx context.Context, p *CommandParams, a supervisor.Audit) (CommandResult, error) {
	child, _, err := c.e.wiring.Children.DecodeChild([]byte(p.Child))
	if err != nil {
		return CommandResult{}, err
	}
	return CommandResult{}, c.e.tree.AddChild(ctx, p.Path, child, a)
}

func (c *conn) shutdown(ctx context.Context, _ *CommandParams, a supervisor.Audit) (CommandResult, error) {
	var s Stopper = c.e.tree
	if c.e.wiring.Stopper != nil {
		s = c.e.wiring.Stopper
	}
	report, err := s.Shutdown(ctx, a)
	return CommandResult{Report: report}, err
}

func (c *conn) apply(ctx context.Context, _ *CommandParams, a supervisor.Audit) (CommandResult, error) {
	plan, err := c.e.wiring.File.Reload(ctx, a)
	return CommandResult{Plan: plan}, err
}
