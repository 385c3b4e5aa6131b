// Package supervisor runs goroutines in supervision trees with
// Erlang/OTP semantics: declared children started in order, restarted by
// strategy and restart type within a restart intensity, stopped in reverse
// order within their own budgets, and observed through typed events and
// consistent snapshots.
//
// # Children and attempts
//
// A Child is a function, func(ctx context.Context) error, or a nested
// supervisor (Child.Tree). Each run of a child is an attempt: Run is called
// afresh with a new context that carries the child's path, generation and
// attempt number (Info), lets it report readiness (Ready) and liveness
// (Heartbeat), and, once the supervisor asks it to stop, is cancelled with a
// deadline the child can read (StopDeadline); OnAbort says how to unblock
// the attempt if it overruns it. State that must outlive an attempt belongs
// in the closure.
//
// How an attempt ended is an ExitClass: nil is a normal exit, an error
// wrapping ErrStop a normal exit with a reason, anything returned after the
// supervisor cancelled the context a clean stop, a panic (recovered, with its
// stack) or any other error an abnormal exit, and an error wrapping
// ErrEscalate makes the supervisor give up at once. With the child's
// RestartType (Permanent, Transient, Temporary) the class decides whether the
// child is restarted, exactly as in OTP.
//
// # Supervisors
//
// A Spec declares a supervisor: its Strategy (OneForOne, OneForAll,
// RestForOne), its Intensity (at most MaxRestarts restarts within Period,
// beyond which it stops its children and fails, escalating to its parent)
// and its children. Each child may pace its restarts with a Backoff; a
// restart counts toward intensity when it is performed.
//
// Start starts a tree and returns once every child has started, in
// declaration order: a child with ReadinessExplicit holds back its later
// siblings until it calls Ready. Tree.Shutdown, or cancelling Start's
// context, stops the tree in four stages (see Tree.Shutdown) and reports one
// outcome per child. Go cannot kill a goroutine: a child that overruns its
// Shutdown budget is abandoned, fenced off by its generation so that nothing
// it does afterwards counts, and every goroutine it left, found by the pprof
// label all of its goroutines carry, is reported with its stack.
//
// # Operating a tree
//
// Children are addressed by path: "/" is the root, "/db" a child of the root
// and "/workers/w1" a child of the nested supervisor "workers". The control
// methods (AddChild, RemoveChild, RestartChild, PauseChild, ResumeChild,
// QuarantineChild, ResetChild, Shutdown) each take an Audit saying who asks and why.
// Tree.Apply reconfigures a running tree to match a new Spec, restarting
// only the children whose code changed; Diff shows the plan beforehand.
// Tree.Snapshot returns a Snapshot of every child in one consistent view;
// Tree.Subscribe and Tree.Journal deliver typed Events, one per transition,
// sequenced and correlated, without ever slowing a supervisor down.
//
// # Design
//
// Each supervisor has one goroutine, its control loop, which alone changes
// its state; children report to it over a channel and it never waits on
// them. The loops of a tree publish their changes and events under one tree
// lock, so that snapshots and the event sequence agree. Bookkeeping on the
// restart path is O(1) and allocation-free except for the new attempt.
//
// Package supervisortest has children whose behaviour tests control, an
// event recorder and a leak check; docs/concepts.md explains the model and
// docs/defaults.md lists every default.
package supervisor
