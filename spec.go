package supervisor

import (
	"context"
	"log/slog"
	"math"
	"time"
)

// Infinity is a duration that never expires. Use it as a child's Shutdown
// budget to wait for its exit without limit (OTP's infinity), or as its
// StartTimeout to wait for readiness without limit.
const Infinity time.Duration = math.MaxInt64

// Default values used where a Spec or Child leaves a field at its zero value.
// docs/defaults.md lists every default in one table.
const (
	// DefaultShutdown is the stop budget of a worker child.
	DefaultShutdown = 5 * time.Second
	// DefaultStartTimeout is how long a child with ReadinessExplicit has to
	// call Ready.
	DefaultStartTimeout = 30 * time.Second
	// DefaultJournalSize is the number of recent events a tree keeps.
	DefaultJournalSize = 1024
)

const (
	// defaultMaxRestarts and defaultPeriod form the default Intensity:
	// at most 3 restarts within 5 seconds.
	defaultMaxRestarts = 3
	defaultPeriod      = 5 * time.Second
	// defaultSubscriberBuffer is a subscription's queue length when
	// Subscribe is given a size of zero or less.
	defaultSubscriberBuffer = 256
)

// Spec declares a supervisor: how it restarts its children and which children
// it starts, in order. The same type describes the root of a tree (passed to
// Start) and a nested supervisor (a Child's Tree field).
//
// The zero value of every field is a documented default, so Spec{Children: cs}
// is a valid one_for_one supervisor allowing 3 restarts in 5 seconds.
type Spec struct {
	// Name names the tree in logs and in Tree.Name. For a nested spec it must
	// be empty or equal the Child's Name, which is the node's name.
	Name string
	// Strategy chooses which children are restarted when one fails.
	// The zero value is OneForOne.
	Strategy Strategy
	// Intensity bounds automatic restarts. The zero value means 3 restarts
	// within 5 seconds.
	Intensity Intensity
	// Budget paces automatic restarts with a token bucket. The zero value
	// is no budget. It is shared by all of the supervisor's children,
	// grouped or not.
	Budget Budget
	// MaxRestarting caps the automatic restarts in progress at once: a
	// restart is in progress from its child_restarting event until the new
	// attempt runs (or is ready, for a child with Readiness) or fails. The
	// others wait in order in StatePending, each with a child_queued event.
	// Zero means no cap. A Group may set a lower cap of its own.
	MaxRestarting int
	// Groups are restart scopes within the supervisor (see Group).
	Groups []Group
	// Children are started in order and stopped in reverse order.
	Children []Child

	// Logger receives one record per event. Only the root spec may set it;
	// nil discards logs.
	Logger *slog.Logger
	// JournalSize is how many recent events Tree.Journal keeps: zero means
	// DefaultJournalSize, a negative value keeps none. Root spec only.
	JournalSize int
	// Seed seeds the random source used for backoff jitter, so that tests can
	// reproduce delays. Zero picks a random seed. Root spec only.
	Seed uint64

	// Defaults apply to the children of this supervisor for every field they
	// leave unset. They are not inherited by nested supervisors.
	Defaults Defaults

	// AutoShutdown makes the supervisor end when its Significant children
	// terminate. The zero value, AutoShutdownNever, allows no significant
	// child.
	AutoShutdown AutoShutdown
}

// Defaults are a supervisor's defaults for its children. Each field applies
// to a child that leaves the same field unset (zero): a field set on the
// child wins over its supervisor's default, which wins over the built-in
// default. The zero Defaults changes nothing.
type Defaults struct {
	Restart RestartType
	// StartTimeout and Shutdown apply to workers only: a nested supervisor
	// waits for its own children unless its Child sets a budget.
	StartTimeout time.Duration
	Shutdown     time.Duration
	// Backoff and Quarantine apply as a whole: a child (or role) that sets
	// any field of its own Backoff takes none of these fields.
	Backoff    Backoff
	Quarantine Quarantine
	// Liveness applies to workers only.
	Liveness Liveness
	// Rules are tried after a child's own Rules.
	Rules []Rule
}

// Child declares one supervised child: a function run in its own goroutine,
// or a nested supervisor.
type Child struct {
	// Name identifies the child among its siblings. It must be 1 to 128
	// characters from the set [A-Za-z0-9._@-], and not "." or "..".
	// The child's path is its parent's path joined with Name by "/".
	Name string

	// Run is the child's body. Each attempt calls it afresh with a new
	// context; state that must outlive an attempt belongs in the closure.
	// Run must return once ctx is cancelled. Exactly one of Run and Tree is set.
	//
	// How the return value is read:
	//   - nil: a normal exit;
	//   - any error after the supervisor cancelled ctx: a clean stop;
	//   - an error wrapping ErrStop: a normal exit with a reason;
	//   - an error wrapping ErrEscalate: the supervisor gives up at once;
	//   - a panic: recovered into an abnormal exit (a *PanicError);
	//   - any other error, including a context error while ctx is alive:
	//     an abnormal exit.
	Run func(ctx context.Context) error

	// Tree makes the child a nested supervisor running this spec. Each
	// restart of the child starts the nested supervisor afresh from Tree.
	Tree *Spec

	// Restart says when the child is restarted. The zero value leaves it to
	// the supervisor's Defaults, and finally Permanent.
	Restart RestartType

	// Readiness says when a started child counts as started. With
	// ReadinessExplicit the next sibling starts only after this child calls
	// Ready. A nested supervisor is always ready once its own children are.
	Readiness Readiness

	// Role gives the child a pack of defaults (see Role); RoleNone leaves
	// them to the supervisor's Defaults.
	Role Role

	// Significant children end their supervisor when they terminate on
	// their own (see AutoShutdown). They must be Transient or Temporary.
	Significant bool

	// Rules map exit errors to actions before the restart type applies;
	// see Rule.
	Rules []Rule

	// Primary is a sidecar's primary (see RoleSidecar), an earlier sibling.
	Primary string

	// Group names the group of the spec's Groups the child belongs to; ""
	// is none: the supervisor's own Strategy and Intensity apply.
	Group string

	// StartTimeout bounds how long a child with ReadinessExplicit may take to
	// call Ready. Zero means DefaultStartTimeout (Infinity for a nested
	// supervisor).
	StartTimeout time.Duration

	// Shutdown is the child's stop budget: once asked to stop, it has this
	// long to return before it is abandoned (see OnAbort). Zero means
	// DefaultShutdown for a worker and Infinity for a nested supervisor, which
	// bounds itself by its own children's budgets.
	Shutdown time.Duration

	// Backoff paces automatic restarts. The zero value leaves it to the
	// supervisor's Defaults, and finally restarts at once.
	Backoff Backoff

	// Quarantine is the child's restart limit. The zero value leaves it
	// to the supervisor's Defaults, and finally none.
	Quarantine Quarantine

	// Liveness watches that the running child reports with Heartbeat or
	// Progress. The zero value leaves it to the supervisor's Defaults, and
	// finally none. A nested supervisor cannot have one.
	Liveness Liveness

	// Revision identifies what Run does, for Tree.Apply: a function value
	// cannot be compared, so Apply restarts a child whose Run is a
	// different function or whose Revision changed, and otherwise updates
	// its policies in place. Set it to anything that changes with what Run
	// captures (a version, a hash of its configuration); package config
	// sets it to a hash of the child's run or exec keys.
	Revision string
}

// gated reports whether the child must signal readiness before its next
// sibling starts.
func (c *Child) gated() bool {
	return c.Tree != nil || c.Readiness == ReadinessExplicit
}

// RestartType says which exits of a child lead to a restart, as in OTP:
//
//	exit →       normal, ErrStop   abnormal, panic
//	Permanent    restart           restart
//	Transient    keep, stopped     restart
//	Temporary    removed           removed
//
// A child stopped by its supervisor (a clean stop) is never restarted on its
// own account. The zero RestartType is unset: the supervisor's Defaults
// decide, and finally Permanent.
type RestartType uint8

// Restart types.
const (
	// Permanent children are always restarted.
	Permanent RestartType = iota + 1
	// Transient children are restarted only after an abnormal exit.
	Transient
	// Temporary children are never restarted, not even when a sibling's
	// failure stops them; their spec is removed once they exit.
	Temporary
)

var restartNames = []string{"", "permanent", "transient", "temporary"}

func (r RestartType) String() string { return enumString(restartNames, r) }

// MarshalText implements encoding.TextMarshaler.
func (r RestartType) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *RestartType) UnmarshalText(b []byte) error {
	return enumParse(restartNames, b, r, "restart type", 1)
}

// Readiness says when a started child counts as started.
type Readiness uint8

// Readiness modes.
const (
	// ReadinessImmediate: the child is started as soon as its goroutine is.
	ReadinessImmediate Readiness = iota
	// ReadinessExplicit: the child is started once it calls Ready, which it
	// must do within its StartTimeout.
	ReadinessExplicit
)

var readinessNames = []string{"immediate", "explicit"}

func (r Readiness) String() string { return enumString(readinessNames, r) }

// MarshalText implements encoding.TextMarshaler.
func (r Readiness) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Readiness) UnmarshalText(b []byte) error {
	return enumParse(readinessNames, b, r, "readiness", 0)
}

func enumString[E ~uint8](names []string, e E) string {
	if int(e) < len(names) {
		return names[e]
	}
	return "invalid"
}

// enumParse sets e to the value named b: names[i] is the value i. With
// first 1 the zero value is not a valid setting: it is not offered among
// the valid names, but the name MarshalText writes for it reads back.
func enumParse[E ~uint8](names []string, b []byte, e *E, what string, first int) error {
	for i, n := range names {
		if string(b) == n {
			*e = E(i)
			return nil
		}
	}
	return &ParseError{What: what, Value: string(b), Valid: names[first:]}
}
