package config

import (
	"github.com/go-supervisor/supervisor"
)

// The document types below are the YAML format: each field is a key, named
// by its yaml tag. Load decodes a file into them strictly, then turns them
// into a supervisor.Spec; the JSON Schema (Schema) and the commented template
// (Template) are generated from them, and their field comments are the
// schema's descriptions and the template's comments, so they speak of YAML
// keys. A pointer field is optional: nil is a key left out, which leaves the
// setting to the next level of defaults (the child, its role, the
// supervisor's defaults, the built-in default; see docs/config.md).

// File is a config file: the root supervisor of a tree, with the keys only
// the root may set.
type File struct {
	// The version of this format. Only 1 exists: leave it out or write 1.
	Version *int `yaml:"version,omitempty" json:"version,omitempty" jsonschema:"enum=1,default=1"`

	Supervisor `yaml:",inline" json:",inline"`

	// How many recent events the tree's journal keeps (Tree.Journal), or -1
	// to keep none; at most 1048576, as the tree allocates them when it
	// starts. Default 1024.
	JournalSize *int `yaml:"journal_size,omitempty" json:"journal_size,omitempty" jsonschema:"maximum=1048576,default=1024"`
	// Seeds the random source of backoff jitter, so that delays can be
	// reproduced. Default: a random seed. 0 is not a seed: leave the key out
	// for a random one.
	Seed *uint64 `yaml:"seed,omitempty" json:"seed,omitempty" jsonschema:"minimum=1,example=42"`
	// Serves the tree on a Unix socket for supervisor ctl and the
	// dashboard's relay. Default: no socket.
	IPC *IPC `yaml:"ipc,omitempty" json:"ipc,omitempty"`
}

// Supervisor is a supervisor: how it restarts its children, and its
// children, in start order. The root of a file is one (see File); a child
// with a supervisor key is a nested one.
type Supervisor struct {
	// Names the tree in logs. In a nested supervisor it must be left out or
	// equal the child's name.
	Name string `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"example=app"`
	// Which children are restarted when one of them must be: one_for_one
	// (only that child), one_for_all (all of them), rest_for_one (that child
	// and those declared after it). Default one_for_one.
	Strategy *supervisor.Strategy `yaml:"strategy,omitempty" json:"strategy,omitempty" jsonschema:"default=one_for_one"`
	// The restart intensity: at most max_restarts automatic restarts within
	// period; one more stops the supervisor's children and fails it, which
	// escalates to its parent. Default: 3 restarts within 5s.
	Intensity *Intensity `yaml:"intensity,omitempty" json:"intensity,omitempty"`
	// A token bucket pacing the automatic restarts of all of the
	// supervisor's children: burst restarts at once, one more every refill.
	// A restart beyond it waits for a token; none is dropped. Default: no
	// budget.
	Budget *Budget `yaml:"budget,omitempty" json:"budget,omitempty"`
	// The most automatic restarts in progress at once; the others wait in
	// order. Default 0: no cap.
	MaxRestarting *int `yaml:"max_restarting,omitempty" json:"max_restarting,omitempty" jsonschema:"minimum=0,default=0"`
	// Restart scopes within the supervisor, each with its own strategy and
	// intensity; a child joins one with its group key. A group that exceeds
	// its intensity is quarantined as a unit while the rest of the
	// supervisor goes on. Default: none.
	Groups []Group `yaml:"groups,omitempty" json:"groups,omitempty"`
	// When the supervisor ends on its own because of its significant
	// children: never (no child may be significant), any_significant (when
	// one terminates), all_significant (when all have). Default never.
	AutoShutdown *supervisor.AutoShutdown `yaml:"auto_shutdown,omitempty" json:"auto_shutdown,omitempty" jsonschema:"default=never"`
	// Settings for this supervisor's children that leave them out; not
	// inherited by nested supervisors. A child's own key wins, then its
	// role's, then these, then the built-in default.
	Defaults *Defaults `yaml:"defaults,omitempty" json:"defaults,omitempty"`
	// The children, started in this order and stopped in reverse order.
	Children []Child `yaml:"children,omitempty" json:"children,omitempty"`
}

// Intensity bounds a supervisor's (or a group's) automatic restarts. Both
// keys are required: max_restarts 0 with a period allows no restart at all.
type Intensity struct {
	// The most automatic restarts allowed within period.
	MaxRestarts *int `yaml:"max_restarts,omitempty" json:"max_restarts,omitempty" jsonschema:"required,minimum=0,default=3"`
	// The length of the sliding window, such as 5s.
	Period *Duration `yaml:"period,omitempty" json:"period,omitempty" jsonschema:"required,default=5s"`
}

// Budget is a supervisor's restart budget, a token bucket. Both keys are
// required.
type Budget struct {
	// How many restarts may happen at once: the bucket's size, 1 or more.
	Burst *int `yaml:"burst,omitempty" json:"burst,omitempty" jsonschema:"required,minimum=1,example=10"`
	// The time it takes to gain one token, such as 1s.
	Refill *Duration `yaml:"refill,omitempty" json:"refill,omitempty" jsonschema:"required,example=1s"`
}

// Group is a restart scope within a supervisor.
type Group struct {
	// Names the group among its supervisor's groups, with the same rules as
	// a child's name.
	Name string `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"required,example=storage"`
	// Which members a member's restart concerns: one_for_one, one_for_all
	// or rest_for_one. Default one_for_one.
	Strategy *supervisor.Strategy `yaml:"strategy,omitempty" json:"strategy,omitempty" jsonschema:"default=one_for_one"`
	// The group's own restart intensity. Default: 3 restarts within 5s.
	Intensity *Intensity `yaml:"intensity,omitempty" json:"intensity,omitempty"`
	// The most restarts of the group in progress at once. Default 0: no cap
	// but the supervisor's.
	MaxRestarting *int `yaml:"max_restarting,omitempty" json:"max_restarting,omitempty" jsonschema:"minimum=0,default=0"`
}

// Defaults are a supervisor's defaults for its children: each applies to a
// child that leaves the same key out (and whose role sets none).
type Defaults struct {
	// When children are restarted: permanent, transient or temporary.
	// Built-in default permanent.
	Restart *supervisor.RestartType `yaml:"restart,omitempty" json:"restart,omitempty" jsonschema:"default=permanent"`
	// How long a child with explicit readiness has to become ready, or
	// infinity to wait without limit. Applies to workers only. Built-in
	// default 30s.
	StartTimeout *Timeout `yaml:"start_timeout,omitempty" json:"start_timeout,omitempty" jsonschema:"default=30s"`
	// A child's stop budget, or infinity. Applies to workers only. Built-in
	// default 5s.
	Shutdown *Timeout `yaml:"shutdown,omitempty" json:"shutdown,omitempty" jsonschema:"default=5s"`
	// How restarts are paced. A child or role that sets a backoff takes
	// none of these keys. Built-in default: restart at once.
	Backoff *Backoff `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	// The restart limit. A child or role that sets one takes none of these
	// keys. Built-in default: none.
	Quarantine *Quarantine `yaml:"quarantine,omitempty" json:"quarantine,omitempty"`
	// Liveness watching, for workers only. Built-in default: none.
	Liveness *Liveness `yaml:"liveness,omitempty" json:"liveness,omitempty"`
	// Error rules tried after a child's own rules.
	Rules []Rule `yaml:"rules,omitempty" json:"rules,omitempty" jsonschema:"minItems=1"`
}

// Child is one supervised child: a registered function (run), a program
// (exec) or a nested supervisor (supervisor), exactly one of them, and the
// policies that apply to it.
type Child struct {
	// Identifies the child among its siblings: 1 to 128 characters from
	// letters, digits, '.', '_', '@' and '-'. Its path is its parent's
	// joined with it by '/', such as /workers/w1.
	Name string `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"required,example=app"`
	// The name of a function the program registered with Registry.Func,
	// run in a goroutine of its own.
	Run *string `yaml:"run,omitempty" json:"run,omitempty" jsonschema:"example=app"`
	// A program to run as an OS process.
	Exec *Exec `yaml:"exec,omitempty" json:"exec,omitempty"`
	// A nested supervisor: the same keys as the file's root, except
	// version, journal_size and seed.
	Supervisor *Supervisor `yaml:"supervisor,omitempty" json:"supervisor,omitempty"`

	// When the child is restarted: permanent (always), transient (after an
	// abnormal exit only) or temporary (never). Default: the role's, then
	// defaults.restart, then permanent.
	Restart *supervisor.RestartType `yaml:"restart,omitempty" json:"restart,omitempty" jsonschema:"default=permanent"`
	// When a started child counts as started: immediate (at once), or
	// explicit (once it calls supervisor.Ready; later siblings wait for it).
	// Default: immediate for run, explicit for exec (a program counts as
	// started once it runs and has passed its ready check, if any).
	Readiness *supervisor.Readiness `yaml:"readiness,omitempty" json:"readiness,omitempty" jsonschema:"example=explicit"`
	// What the child is for, which gives it a pack of defaults: service,
	// worker, job or sidecar (see docs/defaults.md). Default: none.
	Role *supervisor.Role `yaml:"role,omitempty" json:"role,omitempty" jsonschema:"example=service"`
	// A sidecar's primary: the name of an earlier sibling, which it
	// follows.
	Primary string `yaml:"primary,omitempty" json:"primary,omitempty" jsonschema:"example=db"`
	// The name of the supervisor's group the child belongs to. Default:
	// none, the supervisor's own strategy and intensity apply.
	Group string `yaml:"group,omitempty" json:"group,omitempty" jsonschema:"example=storage"`
	// A significant child ends its supervisor when it terminates on its own
	// (see auto_shutdown); it must be transient or temporary. Default false.
	Significant bool `yaml:"significant,omitempty" json:"significant,omitempty" jsonschema:"default=false"`
	// How long the child has to become ready, or infinity to wait without
	// limit. Only for a child whose readiness is explicit (an exec child, a
	// run child with readiness: explicit) and for a nested supervisor.
	// Default: defaults.start_timeout, then 30s (infinity for a nested
	// supervisor).
	StartTimeout *Timeout `yaml:"start_timeout,omitempty" json:"start_timeout,omitempty" jsonschema:"default=30s"`
	// The stop budget: once asked to stop, the child has this long to
	// return before it is abandoned (an exec child is killed), or infinity.
	// Default: defaults.shutdown, then 5s (infinity for a nested
	// supervisor).
	Shutdown *Timeout `yaml:"shutdown,omitempty" json:"shutdown,omitempty" jsonschema:"default=5s"`
	// How automatic restarts are paced. Default: the role's, then
	// defaults.backoff, then restart at once.
	Backoff *Backoff `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	// The restart limit. Default: the role's, then defaults.quarantine,
	// then none.
	Quarantine *Quarantine `yaml:"quarantine,omitempty" json:"quarantine,omitempty"`
	// Liveness watching: the child must report with supervisor.Heartbeat or
	// supervisor.Progress. Default: defaults.liveness, then none. A nested
	// supervisor cannot have one, nor can a program (exec), which cannot
	// report: give it off: true if the defaults set one.
	Liveness *Liveness `yaml:"liveness,omitempty" json:"liveness,omitempty"`
	// Error rules, tried in order before defaults.rules: the first that
	// matches the child's exit error decides what happens.
	Rules []Rule `yaml:"rules,omitempty" json:"rules,omitempty" jsonschema:"minItems=1"`
}

// Backoff paces a child's automatic restarts with an exponential delay:
// restart k of a streak waits min(initial × multiplier^(k−1), max), less a
// random fraction jitter of it. Any key set replaces the defaults' and the
// role's backoff as a whole.
type Backoff struct {
	// Restart at once, whatever the defaults; only reset_after may be set
	// with it.
	Off bool `yaml:"off,omitempty" json:"off,omitempty" jsonschema:"default=false"`
	// The delay before the first restart of a streak. It turns backoff on,
	// and max, multiplier and jitter need it.
	Initial *Duration `yaml:"initial,omitempty" json:"initial,omitempty" jsonschema:"example=100ms"`
	// The longest delay. Default 30s, or initial if that is longer.
	Max *Duration `yaml:"max,omitempty" json:"max,omitempty" jsonschema:"default=30s"`
	// The growth factor between consecutive delays, 1 or more. Default 2.
	Multiplier *float64 `yaml:"multiplier,omitempty" json:"multiplier,omitempty" jsonschema:"minimum=1,default=2"`
	// The fraction of each delay that is random, from 0 to 1; 0.2 is a good
	// value when siblings share a cause of failure. Default 0.
	Jitter *float64 `yaml:"jitter,omitempty" json:"jitter,omitempty" jsonschema:"minimum=0,maximum=1,default=0"`
	// How long an attempt must run to count as stable, which resets the
	// delay (and ends a probation). Default 10s.
	ResetAfter *Duration `yaml:"reset_after,omitempty" json:"reset_after,omitempty" jsonschema:"default=10s"`
}

// Quarantine is a child's restart limit: a child that fails more than after
// times within within is quarantined, no longer restarted, and given a
// probation attempt every probation. Any key set replaces the defaults' and
// the role's limit as a whole.
type Quarantine struct {
	// Never quarantine the child, whatever the defaults; no other key may
	// be set with it.
	Off bool `yaml:"off,omitempty" json:"off,omitempty" jsonschema:"default=false"`
	// How many failures within within are allowed, 1 or more; one more
	// quarantines the child.
	After *int `yaml:"after,omitempty" json:"after,omitempty" jsonschema:"minimum=1,example=5"`
	// The window failures are counted in; required with after.
	Within *Duration `yaml:"within,omitempty" json:"within,omitempty" jsonschema:"example=5m"`
	// The wait before each probation attempt. Default 1m.
	Probation *Duration `yaml:"probation,omitempty" json:"probation,omitempty" jsonschema:"default=1m"`
}

// Liveness makes the supervisor watch that a running child reports with
// supervisor.Heartbeat (or supervisor.Progress) at least every stale_after.
// Any key set replaces the defaults' liveness as a whole.
type Liveness struct {
	// Watch nothing, whatever the defaults; no other key may be set with
	// it.
	Off bool `yaml:"off,omitempty" json:"off,omitempty" jsonschema:"default=false"`
	// How often the child means to report. It turns watching on.
	Interval *Duration `yaml:"interval,omitempty" json:"interval,omitempty" jsonschema:"example=10s"`
	// How long the child may go without a report before it is stale, at
	// least interval. Default 3 × interval.
	StaleAfter *Duration `yaml:"stale_after,omitempty" json:"stale_after,omitempty" jsonschema:"example=30s"`
	// Count only an advancing supervisor.Progress counter as a report, so
	// that a child that heartbeats without progress is caught. Default
	// false.
	Progress bool `yaml:"progress,omitempty" json:"progress,omitempty" jsonschema:"default=false"`
	// What a stale child gets: report (marked unhealthy, left running) or
	// restart (stopped as a failure, supervisor.ErrStale). Default report.
	OnStale *supervisor.StaleAction `yaml:"on_stale,omitempty" json:"on_stale,omitempty" jsonschema:"default=report"`
}

// Rule maps a child's exit error to an action, before its restart type
// applies. It matches when all of its matchers (at least one) match.
type Rule struct {
	// Matches errors that wrap the error the program registered under this
	// name with Registry.Error (errors.Is).
	Is *string `yaml:"is,omitempty" json:"is,omitempty" jsonschema:"example=ErrDrained"`
	// Matches errors that wrap an error of the type the program registered
	// under this name with Registry.ErrorType (errors.As).
	As *string `yaml:"as,omitempty" json:"as,omitempty" jsonschema:"example=fs.PathError"`
	// Matches errors whose text matches this regular expression (Go
	// syntax).
	Message *string `yaml:"message,omitempty" json:"message,omitempty" jsonschema:"example=connection refused"`
	// Matches errors carrying one of these exit codes, 1 to 255, such as an
	// exec child's non-zero exit.
	ExitCodes []int `yaml:"exit_codes,omitempty" json:"exit_codes,omitempty" jsonschema:"minItems=1,minimum=1,maximum=255,example=75"`
	// What to do: restart, stop (leave the child down), quarantine,
	// escalate (fail the supervisor) or shutdown_tree.
	Action *supervisor.RuleAction `yaml:"action,omitempty" json:"action,omitempty" jsonschema:"required,example=restart"`
}

// Exec is a program run as a child: each attempt starts it in its own
// process group, logs its output, and stops it with stop_signal, then
// SIGKILL once the child's shutdown budget is spent.
type Exec struct {
	// The program: a file path, or a name looked up in PATH when it has no
	// slash.
	Path string `yaml:"path,omitempty" json:"path,omitempty" jsonschema:"required,minLength=1,example=/usr/local/bin/app"`
	// The arguments after the program's name.
	Args []string `yaml:"args,omitempty" json:"args,omitempty" jsonschema:"example=--port"`
	// Environment variables added to the program's environment. A value may
	// refer to ${NAME} (the supervisor's variable NAME, required),
	// ${NAME:-default} (optional, with a default) or ${file:/path} (a file's
	// contents, such as a mounted secret); references are resolved at each
	// start and never logged.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// Start the program with env only, instead of the supervisor's
	// environment plus env. Default false.
	CleanEnv bool `yaml:"clean_env,omitempty" json:"clean_env,omitempty" jsonschema:"default=false"`
	// The working directory. Default: the supervisor's.
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty" jsonschema:"example=/srv/app"`
	// The signal that asks the program to stop, such as SIGTERM, SIGINT or
	// SIGQUIT. Default SIGTERM.
	StopSignal string `yaml:"stop_signal,omitempty" json:"stop_signal,omitempty" jsonschema:"default=SIGTERM"`
	// When the program counts as ready; it makes the child's readiness
	// explicit. Default: ready once started.
	Ready *Ready `yaml:"ready,omitempty" json:"ready,omitempty"`
	// Resource limits applied to the program. Default: the supervisor's
	// own.
	Limits *Limits `yaml:"limits,omitempty" json:"limits,omitempty"`
}

// Ready is a readiness check for a program: set line, addr or both.
type Ready struct {
	// A regular expression: the program is ready once a line of its output
	// matches it.
	Line string `yaml:"line,omitempty" json:"line,omitempty" jsonschema:"example=listening on"`
	// A TCP address, such as 127.0.0.1:8080 or :8080 for localhost: the
	// program is ready once a connection to it succeeds.
	Addr string `yaml:"addr,omitempty" json:"addr,omitempty" jsonschema:"example=:8080"`
}

// Limits are resource limits for a program.
type Limits struct {
	// The most open file descriptors (RLIMIT_NOFILE), at most 2147483584,
	// the most any Linux kernel allows (fs.nr_open).
	OpenFiles *uint64 `yaml:"open_files,omitempty" json:"open_files,omitempty" jsonschema:"minimum=1,maximum=2147483584,example=1024"`
	// The most virtual memory (RLIMIT_AS): bytes, or a size such as 512MiB
	// or 1GiB.
	AddressSpace *Size `yaml:"address_space,omitempty" json:"address_space,omitempty"`
}
