package config

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
	"github.com/go-supervisor/supervisor/process"
)

// converter turns the decoded document into a supervisor.Spec, reporting
// what the document types cannot express: values the core would read as
// unset, unknown registry names, keys that need each other; then every
// problem supervisor.Validate finds in the result.
type converter struct {
	*decoder
	reg      *Registry
	logger   *slog.Logger
	lookup   func(string) (string, bool)
	settings Settings // what the file sets beside its tree
}

// check reports a problem at path unless a problem there says it already.
func (c *converter) check(path, format string, args ...any) {
	if c.suppressed(path) || c.reported[path] {
		return
	}
	c.problem(path, format, args...)
}

// failedUnder reports whether a key within the block at path could not be
// decoded: the block then holds more than what was decoded.
func (c *converter) failedUnder(path string) bool { return c.broken[path] }

// present reports whether the key at path is in the file.
func (c *converter) present(path string) bool {
	_, ok := c.pos[path]
	return ok
}

// placeholder stands for a function a file names but the registry lacks,
// so that the spec is complete for supervisor.Validate. The spec is never
// returned then.
func placeholder(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// errPlaceholder stands for an unknown registered error, likewise.
var errPlaceholder = errors.New("config: unknown registered error")

const missingChildren = "missing: a config file declares the tree's children, such as children: [{name: app, run: app}] (or children: [] for none)"

func (c *converter) file(f *File) supervisor.Spec {
	if f.Version != nil && *f.Version != 1 {
		c.check("version", "%d is not a version of this format: write 1, or leave version out", *f.Version)
	}
	if f.Children == nil && !c.present("children") {
		c.check("children", missingChildren)
	}
	if r, ok := unprintable(f.Name); ok {
		c.check("name", "%q holds %q, which is not printable: the name is printed in logs; remove it", f.Name, r)
	}
	spec := c.spec(&f.Supervisor, "")
	if f.JournalSize != nil {
		if *f.JournalSize == 0 {
			c.check("journal_size", "0 would mean the default (%d): leave journal_size out for it, or write -1 to keep no events", supervisor.DefaultJournalSize)
		}
		spec.JournalSize = *f.JournalSize
	}
	if f.Seed != nil {
		if *f.Seed == 0 {
			c.check("seed", "0 is not a seed: leave seed out for a random one, or pick another number")
		}
		spec.Seed = *f.Seed
	}
	if f.IPC != nil {
		c.settings.IPC = c.ipcConfig(f.IPC)
	}
	c.validate(spec)
	return spec
}

func (c *converter) spec(s *Supervisor, at string) supervisor.Spec {
	out := supervisor.Spec{Name: s.Name}
	if s.Strategy != nil {
		out.Strategy = *s.Strategy
	}
	out.Intensity = c.intensity(s.Intensity, join(at, "intensity"))
	out.Budget = c.budget(s.Budget, join(at, "budget"))
	if s.MaxRestarting != nil {
		out.MaxRestarting = *s.MaxRestarting
	}
	for i := range s.Groups {
		out.Groups = append(out.Groups, c.group(&s.Groups[i], index(join(at, "groups"), i)))
	}
	if s.AutoShutdown != nil {
		out.AutoShutdown = *s.AutoShutdown
	}
	if s.Defaults != nil {
		out.Defaults = c.defaults(s.Defaults, join(at, "defaults"))
	}
	for i := range s.Children {
		ch, cat := &s.Children[i], index(join(at, "children"), i)
		out.Children = append(out.Children, c.child(ch, cat))
		c.programLiveness(ch, cat, out.Defaults.Liveness)
	}
	return out
}

// programLiveness checks that no liveness watches a program: package
// process does not report heartbeats, so the child would go stale.
func (c *converter) programLiveness(ch *Child, at string, defaults supervisor.Liveness) {
	if ch.Exec == nil {
		return
	}
	switch {
	case ch.Liveness != nil && !ch.Liveness.Off:
		c.check(join(at, "liveness"), "a program cannot report liveness (supervisor.Heartbeat and Progress are for run children), so it would go stale: remove liveness")
	case ch.Liveness == nil && defaults.Interval > 0:
		c.check(at, "defaults.liveness would watch this program, which cannot report liveness (supervisor.Heartbeat and Progress are for run children): give it liveness: {off: true}")
	}
}

func (c *converter) group(g *Group, at string) supervisor.Group {
	if !c.present(join(at, "name")) {
		c.check(join(at, "name"), "missing: a group has a name, which its children give as their group")
	}
	out := supervisor.Group{Name: g.Name, Intensity: c.intensity(g.Intensity, join(at, "intensity"))}
	if g.Strategy != nil {
		out.Strategy = *g.Strategy
	}
	if g.MaxRestarting != nil {
		out.MaxRestarting = *g.MaxRestarting
	}
	return out
}

func (c *converter) intensity(in *Intensity, at string) supervisor.Intensity {
	if in == nil {
		return supervisor.Intensity{}
	}
	ok := true
	if in.MaxRestarts == nil {
		c.check(join(at, "max_restarts"), "missing: an intensity has both max_restarts and period, such as max_restarts: 3 and period: 5s")
		ok = false
	}
	if in.Period == nil {
		c.check(join(at, "period"), "missing: an intensity has both max_restarts and period, such as max_restarts: 3 and period: 5s")
		ok = false
	} else if *in.Period == 0 {
		c.check(join(at, "period"), "0s must be more than 0, such as 5s")
		ok = false
	}
	if !ok {
		return supervisor.Intensity{}
	}
	return supervisor.Intensity{MaxRestarts: *in.MaxRestarts, Period: time.Duration(*in.Period)}
}

func (c *converter) budget(b *Budget, at string) supervisor.Budget {
	if b == nil {
		return supervisor.Budget{}
	}
	ok := true
	switch {
	case b.Burst == nil:
		c.check(join(at, "burst"), "missing: a budget has both burst and refill, such as burst: 10 and refill: 1s")
		ok = false
	case *b.Burst < 1:
		c.check(join(at, "burst"), "%d must be 1 or more: the restarts that may happen at once", *b.Burst)
		ok = false
	}
	switch {
	case b.Refill == nil:
		c.check(join(at, "refill"), "missing: a budget has both burst and refill, such as burst: 10 and refill: 1s")
		ok = false
	case *b.Refill == 0:
		c.check(join(at, "refill"), "0s must be more than 0, such as 1s: the time to gain one token")
		ok = false
	}
	if !ok {
		return supervisor.Budget{}
	}
	return supervisor.Budget{Burst: *b.Burst, Refill: time.Duration(*b.Refill)}
}

func (c *converter) defaults(d *Defaults, at string) supervisor.Defaults {
	var out supervisor.Defaults
	if d.Restart != nil {
		out.Restart = *d.Restart
	}
	out.StartTimeout = c.timeout(d.StartTimeout, join(at, "start_timeout"), "start_timeout", textfmt.Duration(supervisor.DefaultStartTimeout))
	out.Shutdown = c.timeout(d.Shutdown, join(at, "shutdown"), "shutdown", textfmt.Duration(supervisor.DefaultShutdown))
	out.Backoff = c.backoff(d.Backoff, join(at, "backoff"))
	out.Quarantine = c.quarantine(d.Quarantine, join(at, "quarantine"))
	out.Liveness = c.liveness(d.Liveness, join(at, "liveness"))
	out.Rules = c.rules(d.Rules, join(at, "rules"))
	return out
}

// timeout converts a start_timeout or shutdown key, which cannot be 0;
// def describes the default.
func (c *converter) timeout(t *Timeout, at, key, def string) time.Duration {
	if t == nil {
		return 0
	}
	if *t == 0 {
		c.check(at, "0s must be more than 0: leave %s out for the default (%s), or write infinity for no limit", key, def)
	}
	return time.Duration(*t)
}

// positive converts an optional Duration that cannot be 0, saying how to
// get what 0 would have meant.
func (c *converter) positive(d *Duration, at, fix string) time.Duration {
	if d == nil {
		return 0
	}
	if *d == 0 {
		c.check(at, "0s must be more than 0: %s", fix)
	}
	return time.Duration(*d)
}

func (c *converter) backoff(b *Backoff, at string) supervisor.Backoff {
	if b == nil {
		return supervisor.Backoff{}
	}
	out := supervisor.Backoff{
		Off:        b.Off,
		Initial:    c.positive(b.Initial, join(at, "initial"), "to restart at once, write off: true"),
		Max:        c.positive(b.Max, join(at, "max"), fmt.Sprintf("leave max out for the default (%s, or initial if that is longer)", textfmt.Duration(supervisor.DefaultBackoffMax))),
		ResetAfter: c.positive(b.ResetAfter, join(at, "reset_after"), fmt.Sprintf("leave reset_after out for the default (%s)", textfmt.Duration(supervisor.DefaultBackoffResetAfter))),
	}
	if b.Multiplier != nil {
		if *b.Multiplier < 1 {
			c.check(join(at, "multiplier"), "%v must be 1 or more: leave multiplier out for the default (%v)", *b.Multiplier, supervisor.DefaultBackoffMultiplier)
		} else {
			out.Multiplier = *b.Multiplier
		}
	}
	if b.Jitter != nil {
		out.Jitter = *b.Jitter
	}
	var needInitial []string
	for _, k := range []struct {
		key string
		set bool
	}{{"max", b.Max != nil}, {"multiplier", b.Multiplier != nil}, {"jitter", b.Jitter != nil}} {
		if k.set {
			needInitial = append(needInitial, k.key)
		}
	}
	switch {
	case !b.Off && b.Initial == nil && len(needInitial) > 0:
		verb := "shapes"
		if len(needInitial) > 1 {
			verb = "shape"
		}
		c.check(join(at, "initial"), "missing: %s %s the delays that initial turns on: set initial, such as 100ms",
			andList(needInitial), verb)
	case *b == Backoff{} && !c.failedUnder(at):
		c.check(at, "sets nothing: set initial (such as 100ms) to back off, write off: true to restart at once, or remove backoff to take the defaults")
	}
	return out
}

func (c *converter) quarantine(q *Quarantine, at string) supervisor.Quarantine {
	if q == nil {
		return supervisor.Quarantine{}
	}
	out := supervisor.Quarantine{
		Off:       q.Off,
		Within:    c.positive(q.Within, join(at, "within"), "failures are counted within a window, such as 5m"),
		Probation: c.positive(q.Probation, join(at, "probation"), fmt.Sprintf("leave probation out for the default (%s)", textfmt.Duration(supervisor.DefaultProbation))),
	}
	if q.After != nil {
		if *q.After == 0 {
			c.check(join(at, "after"), "0 must be 1 or more: to never quarantine the child, write off: true")
		}
		out.After = *q.After
	}
	switch {
	case q.After != nil && *q.After > 0 && q.Within == nil:
		c.check(join(at, "within"), "missing: after counts failures within a window: set within, such as 5m")
	case *q == Quarantine{} && !c.failedUnder(at):
		c.check(at, "sets nothing: set after and within (such as after: 5 and within: 5m), write off: true to never quarantine, or remove quarantine to take the defaults")
	}
	return out
}

func (c *converter) liveness(l *Liveness, at string) supervisor.Liveness {
	if l == nil {
		return supervisor.Liveness{}
	}
	out := supervisor.Liveness{
		Off:        l.Off,
		Progress:   l.Progress,
		Interval:   c.positive(l.Interval, join(at, "interval"), "the child reports this often, such as 10s; to watch nothing, write off: true"),
		StaleAfter: c.positive(l.StaleAfter, join(at, "stale_after"), "leave stale_after out for 3 × interval"),
	}
	if l.OnStale != nil {
		out.OnStale = *l.OnStale
	}
	if out.StaleAfter > 0 && out.StaleAfter < out.Interval {
		c.check(join(at, "stale_after"), "%s must be at least interval (%s): leave stale_after out for 3 × interval", textfmt.Duration(out.StaleAfter), textfmt.Duration(out.Interval))
	}
	if out == (supervisor.Liveness{}) && l.Interval == nil && l.StaleAfter == nil && !c.failedUnder(at) {
		c.check(at, "sets nothing: set interval (such as 10s) to watch the child, write off: true to watch nothing, or remove liveness to take the defaults")
	}
	return out
}

func (c *converter) rules(rules []Rule, at string) []supervisor.Rule {
	if rules == nil {
		return nil
	}
	if len(rules) == 0 {
		c.check(at, "is empty, which is the same as leaving rules out: remove it, or add a rule")
		return nil
	}
	out := make([]supervisor.Rule, len(rules))
	for i := range rules {
		r, ri := &rules[i], index(at, i)
		o := &out[i]
		if r.Is != nil {
			if e, ok := c.reg.err(regError, *r.Is); ok {
				o.Is = e
			} else {
				c.check(join(ri, "is"), "%s", c.reg.unknown(regError, *r.Is))
				o.Is = errPlaceholder
			}
		}
		if r.As != nil {
			if e, ok := c.reg.err(regType, *r.As); ok {
				o.As = e
			} else {
				c.check(join(ri, "as"), "%s", c.reg.unknown(regType, *r.As))
				o.As = errPlaceholder
			}
		}
		if r.Message != nil {
			if *r.Message == "" {
				c.check(join(ri, "message"), "is empty, which would match every message: write a regular expression, or remove message")
			}
			o.Message = *r.Message
		}
		if r.ExitCodes != nil {
			if len(r.ExitCodes) == 0 {
				c.check(join(ri, "exit_codes"), "is empty: list the exit codes to match, such as [75], or remove exit_codes")
			}
			o.ExitCodes = r.ExitCodes
		}
		if r.Action != nil {
			o.Action = *r.Action
		} else {
			c.check(join(ri, "action"), "missing: say what the rule does: restart, stop, quarantine, escalate or shutdown_tree")
			o.Action = supervisor.ActionRestart // reported; keeps Validate from saying it again
		}
	}
	return out
}

// child converts a child, reporting what contradicts itself or is missing.
func (c *converter) child(ch *Child, at string) supervisor.Child {
	out := supervisor.Child{Name: ch.Name}
	if !c.present(join(at, "name")) {
		c.check(join(at, "name"), "missing: every child has a name, unique among its siblings, such as name: app")
	}
	c.runs(ch, &out, at)
	c.childPolicy(ch, &out, at)
	c.childLimits(ch, &out, at)
	return out
}

// childKinds returns the keys of what ch runs that it sets (run, exec,
// supervisor): exactly one, if the file is right.
func childKinds(ch *Child) []string {
	var kinds []string
	for _, k := range []struct {
		key string
		set bool
	}{{"run", ch.Run != nil}, {"exec", ch.Exec != nil}, {"supervisor", ch.Supervisor != nil}} {
		if k.set {
			kinds = append(kinds, k.key)
		}
	}
	return kinds
}

// runs converts what ch runs into out: a registered function, a program or
// a nested supervisor, reporting none or more than one.
func (c *converter) runs(ch *Child, out *supervisor.Child, at string) {
	kinds := childKinds(ch)
	if len(kinds) == 0 {
		reported := slices.ContainsFunc([]string{"run", "exec", "supervisor"}, func(k string) bool {
			return c.failed[join(at, k)] // present, reported already
		})
		if !reported {
			c.check(at, "set what the child runs: run (a registered function), exec (a program) or supervisor (a nested supervisor)")
		}
		out.Run = placeholder
		return
	}
	for _, k := range kinds[1:] {
		c.check(join(at, k), "a child runs one thing, and this one sets %s: keep one", andList(kinds))
	}
	switch {
	case ch.Run != nil:
		out.Run = c.run(*ch.Run, join(at, "run"))
		out.Revision = revision("run", *ch.Run)
	case ch.Exec != nil:
		c.exec(ch, out, at)
	case ch.Supervisor != nil:
		tree := c.spec(ch.Supervisor, join(at, "supervisor"))
		out.Tree = &tree
	}
}

// childPolicy converts how ch is restarted and what part it plays: its
// restart type, readiness, role, group and the flags.
func (c *converter) childPolicy(ch *Child, out *supervisor.Child, at string) {
	if ch.Restart != nil {
		out.Restart = *ch.Restart
	}
	if ch.Readiness != nil {
		switch r := *ch.Readiness; {
		case r == supervisor.ReadinessImmediate && ch.Exec != nil && ch.Exec.Ready != nil:
			c.check(join(at, "readiness"), "immediate contradicts exec.ready, which makes the child ready once its check passes: remove readiness")
		default:
			out.Readiness = r
		}
	}
	if ch.Role != nil {
		if *ch.Role == supervisor.RoleNone {
			c.check(join(at, "role"), "none is what leaving role out means: remove it")
		}
		out.Role = *ch.Role
	}
	out.Primary = ch.Primary
	if ch.Group == "" && c.present(join(at, "group")) {
		c.check(join(at, "group"), "is empty: leave group out for none")
	}
	out.Group = ch.Group
	out.Significant = ch.Significant
}

// childLimits converts ch's time budgets, backoff, restart limit, liveness
// and error rules.
func (c *converter) childLimits(ch *Child, out *supervisor.Child, at string) {
	startDefault, shutdownDefault := "defaults.start_timeout, then "+textfmt.Duration(supervisor.DefaultStartTimeout),
		"defaults.shutdown, then "+textfmt.Duration(supervisor.DefaultShutdown)
	if ch.Supervisor != nil {
		startDefault, shutdownDefault = "infinity: a nested supervisor waits for its children", "infinity: a nested supervisor waits for its children"
	}
	out.StartTimeout = c.timeout(ch.StartTimeout, join(at, "start_timeout"), "start_timeout", startDefault)
	if ch.StartTimeout != nil && out.Readiness != supervisor.ReadinessExplicit && (ch.Run != nil || ch.Exec != nil) &&
		!c.failed[join(at, "readiness")] {
		c.check(join(at, "start_timeout"), "%s", startTimeoutUnused(ch))
	}
	out.Shutdown = c.timeout(ch.Shutdown, join(at, "shutdown"), "shutdown", shutdownDefault)
	out.Backoff = c.backoff(ch.Backoff, join(at, "backoff"))
	out.Quarantine = c.quarantine(ch.Quarantine, join(at, "quarantine"))
	out.Liveness = c.liveness(ch.Liveness, join(at, "liveness"))
	out.Rules = c.rules(ch.Rules, join(at, "rules"))
}

// startTimeoutUnused says why start_timeout does not apply to ch, a run or
// exec child whose readiness is immediate, and what to write instead: a
// child is waited for only when its readiness is explicit (a nested
// supervisor always is), whether its readiness is written out or not.
func startTimeoutUnused(ch *Child) string {
	const applies = "applies only to a child whose readiness is explicit, and this one's is immediate"
	if ch.Exec != nil {
		return applies + ": remove readiness: immediate (a program's readiness is explicit: " +
			"it is ready once it has started and passed its ready check), or remove start_timeout"
	}
	return applies + " (a run child's default): write readiness: explicit if the function calls supervisor.Ready, or remove start_timeout"
}

// run looks up a registered function.
func (c *converter) run(name, at string) func(context.Context) error {
	if f, ok := c.reg.fn(name); ok {
		return f
	}
	c.check(at, "%s", c.reg.unknown(regFunc, name))
	return placeholder
}

// revision is a child's Revision for a run name.
func revision(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + name))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// exec builds a process child.
func (c *converter) exec(ch *Child, out *supervisor.Child, at string) {
	e, at := ch.Exec, join(at, "exec")
	if !c.present(join(at, "path")) {
		c.check(join(at, "path"), "missing: the program to run, a file path or a name looked up in PATH, such as path: /usr/local/bin/app")
	}
	keys := slices.Sorted(maps.Keys(e.Env))
	c.envKeys(keys, join(at, "env"))
	cmd := &process.Command{
		Path:     e.Path,
		Args:     e.Args,
		CleanEnv: e.CleanEnv,
		Dir:      e.Dir,
		Logger:   c.logger,
		Lookup:   c.lookup,
	}
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+e.Env[k])
	}
	if c.present(join(at, "stop_signal")) {
		sig, err := process.ParseSignal(e.StopSignal)
		if err != nil {
			c.check(join(at, "stop_signal"), "%q is not a signal: use a name such as SIGTERM, SIGINT or SIGQUIT, or a number such as 15", e.StopSignal)
		}
		cmd.StopSignal = sig
	}
	if e.Ready != nil {
		cmd.Ready = process.Ready{Line: e.Ready.Line, Addr: e.Ready.Addr}
		if cmd.Ready == (process.Ready{}) && !c.failedUnder(join(at, "ready")) {
			c.check(join(at, "ready"), "sets no check: set line (a regular expression for an output line) or addr (a TCP address to connect to), or remove ready")
		}
	}
	if l := e.Limits; l != nil {
		if l.OpenFiles != nil {
			if *l.OpenFiles == 0 {
				c.check(join(at, "limits.open_files"), "0 must be 1 or more: leave open_files out to keep the supervisor's limit")
			}
			cmd.Limits.OpenFiles = *l.OpenFiles
		}
		if l.AddressSpace != nil {
			if *l.AddressSpace == 0 {
				c.check(join(at, "limits.address_space"), "0 must be more than 0: leave address_space out to keep the supervisor's limit")
			}
			cmd.Limits.AddressSpace = uint64(*l.AddressSpace)
		}
	}
	for _, p := range cmd.Validate() {
		c.check(execPath(at, p.Field, keys), "%s", yamlMessage(p.Message))
	}
	pc := cmd.Child(ch.Name)
	out.Run, out.Readiness, out.Revision = pc.Run, pc.Readiness, pc.Revision
}

// envKeys checks the names of an exec child's environment variables, the
// keys of its env at path.
func (c *converter) envKeys(keys []string, at string) {
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			c.check(join(at, k), "%q is not a variable name: a name is not empty and has no '=' or NUL", k)
		} else if r, ok := unprintable(k); ok {
			c.check(join(at, k), "%q is not a variable name: it holds %q, which is not printable; remove it", k, r)
		}
	}
}

// execPath maps a field of process.Command.Validate to its key: "env[2]"
// is the third env key in sorted order, as the Command was built.
func execPath(at, field string, envKeys []string) string {
	var i int
	if _, err := fmt.Sscanf(field, "env[%d]", &i); err == nil && i >= 0 && i < len(envKeys) {
		return join(join(at, "env"), envKeys[i])
	}
	return join(at, snakePath(field))
}

// validate adds the problems supervisor.Validate finds in spec, but those
// already reported.
func (c *converter) validate(spec supervisor.Spec) {
	err := supervisor.Validate(spec)
	var ve *supervisor.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	for _, p := range ve.Problems {
		c.check(KeyPath(p.Field), "%s", yamlMessage(p.Message))
	}
}

// KeyPath returns the config key of a supervisor.Spec field path as the
// core names fields, in Validate's problems and a Plan's changes:
// "children[1].tree.startTimeout" is "children[1].supervisor.start_timeout".
func KeyPath(field string) string {
	segs := strings.Split(field, ".")
	for i, s := range segs {
		name, idx, _ := strings.Cut(s, "[")
		if idx != "" {
			idx = "[" + idx
		}
		if name == "tree" {
			name = "supervisor"
		}
		segs[i] = snake(name) + idx
	}
	return strings.Join(segs, ".")
}

func snakePath(field string) string {
	segs := strings.Split(field, ".")
	for i, s := range segs {
		segs[i] = snake(s)
	}
	return strings.Join(segs, ".")
}

// snake turns a camelCase name into snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goNames are the Go names the core's and package process's messages use,
// and what a config file calls them.
var goNames = map[string]string{
	"OneForOne": "one_for_one", "OneForAll": "one_for_all", "RestForOne": "rest_for_one",
	"Permanent": "permanent", "Transient": "transient", "Temporary": "temporary",
	"ReadinessImmediate": "immediate", "ReadinessExplicit": "explicit",
	"RoleService": "service", "RoleWorker": "worker", "RoleJob": "job", "RoleSidecar": "sidecar",
	"ActionRestart": "restart", "ActionStop": "stop", "ActionQuarantine": "quarantine",
	"ActionEscalate": "escalate", "ActionShutdownTree": "shutdown_tree",
	"StaleReport": "report", "StaleRestart": "restart",
	"AutoShutdownNever": "never", "AnySignificant": "any_significant", "AllSignificant": "all_significant",
	"AutoShutdown": "auto_shutdown", "supervisor.Infinity": "infinity",
	"maxRestarts": "max_restarts", "maxRestarting": "max_restarting", "staleAfter": "stale_after",
	"onStale": "on_stale", "exitCodes": "exit_codes", "resetAfter": "reset_after",
	"startTimeout": "start_timeout", "journalSize": "journal_size", "autoShutdown": "auto_shutdown",
	"openFiles": "open_files", "addressSpace": "address_space", "stopSignal": "stop_signal",
	"cleanEnv": "clean_env",
}

var goNamePattern = func() *regexp.Regexp {
	names := slices.Sorted(maps.Keys(goNames))
	slices.SortStableFunc(names, func(a, b string) int { return len(b) - len(a) }) // longest first
	for i, n := range names {
		names[i] = regexp.QuoteMeta(n)
	}
	return regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
}()

// yamlMessage rewrites the Go names in a message of the core or of package
// process into the names of the YAML format, leaving quoted text (the
// file's own values) alone.
func yamlMessage(msg string) string {
	replace := func(s string) string {
		return goNamePattern.ReplaceAllStringFunc(s, func(n string) string { return goNames[n] })
	}
	var b strings.Builder
	for msg != "" {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			b.WriteString(replace(msg))
			break
		}
		b.WriteString(replace(msg[:i]))
		j := i + 1
		for j < len(msg) && msg[j] != '"' {
			if msg[j] == '\\' {
				j++
			}
			j++
		}
		end := min(j+1, len(msg))
		b.WriteString(msg[i:end])
		msg = msg[end:]
	}
	return b.String()
}
