package supervisor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/golden"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// goldenDocs are the JSON documents of one deterministic run of a real tree
// in a synctest bubble (see goldenRun).
type goldenDocs struct {
	treeID    string
	snapshot  supervisor.Snapshot
	journal   supervisor.Journal
	report    *supervisor.ShutdownReport
	summaries []supervisor.RunSummary
	diff      *supervisor.Plan
	applied   *supervisor.Plan
}

// goldenRun runs a tree through most of what it can report: ordered start
// with readiness, failures with backoff and a restart budget, a nested
// supervisor that exceeds its intensity and escalates (a run summary), a
// stale child, a group, every operator command, a live reconfiguration
// with a failed step, and a shutdown.
func goldenRun(t *testing.T) (d goldenDocs) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		batchRuns, apiRuns := 0, 0
		spec := supervisor.Spec{
			Name:        "golden",
			Seed:        1,
			JournalSize: 10000,
			Intensity:   supervisor.Intensity{MaxRestarts: 10, Period: 10 * time.Second},
			Budget:      supervisor.Budget{Burst: 2, Refill: time.Second},
			Groups:      []supervisor.Group{{Name: "cache", Strategy: supervisor.OneForAll, Intensity: supervisor.Intensity{MaxRestarts: 5, Period: time.Minute}}},
			Children: []supervisor.Child{
				{Name: "db", Readiness: supervisor.ReadinessExplicit, Run: func(ctx context.Context) error {
					supervisor.Ready(ctx)
					<-ctx.Done()
					time.Sleep(200 * time.Millisecond) // flushes before it returns
					return nil
				}},
				// Each child acts at its own instant of the bubble's clock, so
				// that the order of the events is the same on every run.
				{Name: "api", Backoff: supervisor.Backoff{Initial: 100 * time.Millisecond, Max: time.Second},
					Run: func(ctx context.Context) error {
						if apiRuns++; apiRuns <= 2 {
							time.Sleep(50 * time.Millisecond)
							return errors.New("dial tcp 10.0.0.7:5432: connection refused")
						}
						<-ctx.Done()
						return nil
					}},
				{Name: "stale", Group: "cache", Liveness: supervisor.Liveness{Interval: time.Second}, Run: func(ctx context.Context) error {
					supervisor.Heartbeat(ctx)
					<-ctx.Done()
					return nil
				}},
				{Name: "warm", Group: "cache", Run: supervisortest.Idle},
				{Name: "batch", Tree: &supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 0, Period: time.Second},
					Children: []supervisor.Child{{Name: "step", Run: func(ctx context.Context) error {
						batchRuns++
						if batchRuns == 1 {
							time.Sleep(500 * time.Millisecond)
							return errors.New("step 3 of 7: checksum mismatch")
						}
						<-ctx.Done()
						return nil
					}}}}},
				{Name: "report", Restart: supervisor.Transient, Run: func(ctx context.Context) error {
					time.Sleep(2 * time.Second)
					return nil
				}},
			},
		}
		tree, err := supervisor.Start(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		d.treeID = tree.ID()
		ops := supervisor.Audit{Who: "alice", Why: "maintenance window"}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(3500 * time.Millisecond)
		must(tree.PauseChild(ctx, "/warm", ops))
		must(tree.AddChild(ctx, "/", supervisor.Child{Name: "extra", Restart: supervisor.Temporary, Run: supervisortest.Idle}, ops))
		must(tree.QuarantineChild(ctx, "/extra", ops))
		if err := tree.RestartChild(ctx, "/nope", ops); !errors.Is(err, supervisor.ErrNotFound) {
			t.Fatalf("RestartChild of an unknown child: %v", err)
		}
		synctest.Wait()
		d.snapshot = tree.Snapshot()

		must(tree.ResumeChild(ctx, "/warm", ops))
		must(tree.ResetChild(ctx, "/api", ops))
		must(tree.RestartChild(ctx, "/db", ops))
		must(tree.RemoveChild(ctx, "/extra", ops))
		next := spec
		next.Children = append([]supervisor.Child(nil), spec.Children...)
		next.Children[1].Backoff.Max = 2 * time.Second                       // updated in place
		next.Children = append(next.Children, supervisor.Child{Name: "late", // fails to start
			Readiness: supervisor.ReadinessExplicit, Run: supervisortest.Exit(errors.New("no config"))})
		if d.diff, err = supervisor.Diff(spec, next); err != nil {
			t.Fatal(err)
		}
		d.applied, err = tree.Apply(ctx, next, ops)
		var ae *supervisor.ApplyError
		if !errors.As(err, &ae) {
			t.Fatalf("Apply = %v, want an *ApplyError for the child that fails to start", err)
		}
		time.Sleep(time.Second)
		d.report, err = tree.Shutdown(ctx, supervisor.Audit{Who: "ops", Why: "SIGTERM"})
		must(err)
		d.journal = tree.Journal()
		d.summaries = tree.Summaries()
	})
	return d
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every JSON document the core writes matches its golden file under
// testdata/json, speaks the one vocabulary (snake_case keys, durations as
// text, RFC 3339 times), and reads back into its Go type unchanged: the
// document encoded again is the same.
func TestJSONGolden(t *testing.T) {
	d := goldenRun(t)
	ids := map[string]string{d.treeID: "7ree1d00"}
	docs := []struct {
		file string
		v    any
		back func() any // a new value of the type, to decode into
	}{
		{"snapshot.json", d.snapshot, func() any { return new(supervisor.Snapshot) }},
		{"journal.json", d.journal, func() any { return new(supervisor.Journal) }},
		{"report.json", d.report, func() any { return new(supervisor.ShutdownReport) }},
		{"summaries.json", d.summaries, func() any { return new([]supervisor.RunSummary) }},
		{"diff.json", d.diff, func() any { return new(supervisor.Plan) }},
		{"apply.json", d.applied, func() any { return new(supervisor.Plan) }},
	}
	for _, doc := range docs {
		t.Run(doc.file, func(t *testing.T) {
			b := marshal(t, doc.v)
			golden.CheckVocabulary(t, b)
			golden.Compare(t, "testdata/json/"+doc.file, b, ids)
			golden.ReadBack(t, b, doc.back())
		})
	}
	kinds := map[supervisor.EventKind]bool{}
	for _, e := range d.journal.Events {
		kinds[e.Kind] = true
	}
	for _, k := range []supervisor.EventKind{supervisor.EventChildExited, supervisor.EventChildBackoff,
		supervisor.EventIntensityExceeded, supervisor.EventEscalated, supervisor.EventChildUnhealthy,
		supervisor.EventChildPaused, supervisor.EventChildQuarantined, supervisor.EventSpecUpdated,
		supervisor.EventCommandCompleted, supervisor.EventShutdownCompleted} {
		if !kinds[k] {
			t.Errorf("the golden run has no %s event", k)
		}
	}
	if len(d.summaries) == 0 {
		t.Error("the golden run has no run summary")
	}
}

// eventOfEveryKind returns one event of each kind with every field set, so
// that its JSON shows which fields the kind carries.
func eventOfEveryKind() []supervisor.Event {
	t0 := time.Date(2026, 12, 8, 9, 30, 0, 123456789, time.UTC)
	var out []supervisor.Event
	for k := supervisor.EventKind(1); k.String() != "invalid"; k++ {
		out = append(out, supervisor.Event{Seq: uint64(k), Time: t0.Add(time.Duration(k) * time.Millisecond),
			Kind: k, Path: "/workers/w1", Attempt: 2, State: supervisor.StateBackoff,
			Correlation: 17, Exit: supervisor.ExitAbnormal, Err: errors.New("boom"), Delay: 1500 * time.Millisecond,
			Command: "restart", Audit: supervisor.Audit{Who: "alice", Why: "stuck queue"}, Count: 4,
			Rule: "rules[0]", Reason: "why it happened",
			Goroutines: []supervisor.GoroutineStack{{Path: "/workers/w1", Count: 1, Stack: "main.work\n\tmain.go:12"}}})
	}
	return out
}

// An event's JSON carries the fields its kind uses and no other: the
// golden file shows them kind by kind. Fields whose zero value means
// something (generation, state, delay, count...) are present for the
// kinds that use them even when zero, and absent for the others.
func TestEventJSONByKind(t *testing.T) {
	var b bytes.Buffer
	for _, e := range eventOfEveryKind() {
		b.Write(marshal(t, e))
		b.WriteByte('\n')
	}
	golden.CheckVocabulary(t, b.Bytes())
	golden.Compare(t, "testdata/json/event_kinds.ndjson", b.Bytes(), nil)

	// Zero values that mean something are written for the kinds that use
	// them: a backoff of 0s, a root's shutdown with 0 goroutines left, the
	// first attempt's generation 0 and state stopped.
	for _, c := range []struct {
		e    supervisor.Event
		want []string
		not  []string
	}{
		{supervisor.Event{Kind: supervisor.EventChildBackoff, Path: "/a"}, []string{`"delay":"0s"`, `"generation":0`, `"state":"stopped"`}, []string{`"count"`, `"exit"`}},
		{supervisor.Event{Kind: supervisor.EventShutdownCompleted, Path: "/"}, []string{`"delay":"0s"`, `"count":0`}, []string{`"state"`, `"generation"`}},
		{supervisor.Event{Kind: supervisor.EventShutdownCompleted, Path: "/sub"}, []string{`"delay":"0s"`}, []string{`"count"`}},
		{supervisor.Event{Kind: supervisor.EventTreeStarted, Path: "/"}, nil, []string{`"state"`, `"generation"`, `"delay"`, `"count"`}},
		{supervisor.Event{Kind: supervisor.EventEscalated, Path: "/sub", Generation: 2, Attempt: 1, State: supervisor.StateFailed}, []string{`"generation":2`, `"state":"failed"`}, nil},
		{supervisor.Event{Kind: supervisor.EventChildStopping, Path: "/a", Delay: supervisor.Infinity}, []string{`"delay":"infinity"`}, nil},
	} {
		got := string(marshal(t, c.e))
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %s lacks %s", c.e.Kind, got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %s has %s, which its kind does not use", c.e.Kind, got, n)
			}
		}
	}
}

// Every event reads back from its JSON as it was, but for its error, which
// comes back with its text only, and the fields its kind does not carry.
func TestEventJSONRoundTrip(t *testing.T) {
	for _, e := range eventOfEveryKind() {
		var back supervisor.Event
		if err := json.Unmarshal(marshal(t, e), &back); err != nil {
			t.Fatalf("%s: %v", e.Kind, err)
		}
		if back.Err == nil || back.Err.Error() != e.Err.Error() {
			t.Errorf("%s: error %v, want %v", e.Kind, back.Err, e.Err)
		}
		if !back.Time.Equal(e.Time) || back.Seq != e.Seq || back.Kind != e.Kind || back.Path != e.Path ||
			back.Correlation != e.Correlation || back.Audit != e.Audit || back.Rule != e.Rule || back.Reason != e.Reason ||
			!reflect.DeepEqual(back.Goroutines, e.Goroutines) {
			t.Errorf("%s: read back as %+v", e.Kind, back)
		}
		if again := marshal(t, back); !bytes.Equal(again, marshal(t, e)) {
			t.Errorf("%s: encoded again %s, first %s", e.Kind, again, marshal(t, e))
		}
	}
	var e supervisor.Event
	for _, bad := range []string{`{"kind":"child_flew"}`, `{"kind":"child_backoff","delay":1500000000}`,
		`{"kind":"child_backoff","delay":"soon"}`, `{"kind":"child_exited","state":"sleeping"}`} {
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			t.Errorf("%s decoded without an error", bad)
		}
	}
}

// docs/json.md's table of the fields each event kind carries is what the
// encoder writes.
func TestEventFieldsDocumented(t *testing.T) {
	page, err := os.ReadFile("docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(page), "<!-- event fields: begin -->")
	table, _, _ = strings.Cut(table, "<!-- event fields: end -->")
	documented := map[string]string{}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		var fields []string
		for _, f := range strings.Split(cells[2], ",") {
			if name, _, ok := strings.Cut(strings.TrimSpace(f), " "); ok {
				f = name
			}
			if f = strings.Trim(strings.TrimSpace(f), "`"); f != "" {
				fields = append(fields, f)
			}
		}
		slices.Sort(fields)
		documented[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.Join(fields, " ")
	}
	always := map[string]bool{"seq": true, "time": true, "kind": true, "path": true, "correlation": true,
		"error": true, "audit": true, "rule": true, "reason": true, "goroutines": true}
	for _, e := range eventOfEveryKind() {
		e.Path = "/" // the root's: shutdown_completed counts goroutines for the root only
		var m map[string]any
		if err := json.Unmarshal(marshal(t, e), &m); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for k := range m {
			if !always[k] {
				fields = append(fields, k)
			}
		}
		slices.Sort(fields)
		got, ok := documented[e.Kind.String()]
		if !ok {
			t.Errorf("docs/json.md's table lacks %s", e.Kind)
		} else if want := strings.Join(fields, " "); got != want {
			t.Errorf("docs/json.md says %s carries %q; the encoder writes %q", e.Kind, got, want)
		}
	}
}

// Every field the engine sets on an event survives its JSON: a real tree
// goes through abandonment (with a panicking OnAbort hook and a late
// return), a stale child that reports progress, a throttled restart, a
// group exceeding its intensity and a subscriber that falls behind, and
// each event of its journal, and each drop notice, reads back from JSON
// with the same fields (its error with the same text). A kind whose field
// table leaves out a field the engine sets fails here.
func TestEventJSONKeepsWhatIsSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		stuckRuns := 0
		stuck := func(ctx context.Context) error {
			if stuckRuns++; stuckRuns > 1 {
				<-ctx.Done()
				return nil
			}
			supervisor.OnAbort(ctx, func() { panic("the hook broke") })
			<-release // ignores its cancellation: abandoned, then returns late
			return errors.New("late")
		}
		progress := func(ctx context.Context) error {
			supervisor.Progress(ctx, 5)
			<-ctx.Done()
			return nil
		}
		flaky := func(ctx context.Context) error { // slow to become ready: restarts queue
			time.Sleep(200 * time.Millisecond)
			supervisor.Ready(ctx)
			time.Sleep(100 * time.Millisecond)
			return errors.New("flaky")
		}
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{
			JournalSize: 10000, MaxRestarting: 1, Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second},
			Groups: []supervisor.Group{{Name: "g", Intensity: supervisor.Intensity{MaxRestarts: 0, Period: time.Second}}},
			Children: []supervisor.Child{
				{Name: "stuck", Run: stuck, Shutdown: 100 * time.Millisecond},
				{Name: "progress", Run: progress, Liveness: supervisor.Liveness{Interval: time.Second, Progress: true}},
				{Name: "a", Run: flaky, Readiness: supervisor.ReadinessExplicit, Backoff: supervisor.Backoff{Initial: time.Second}},
				{Name: "b", Run: flaky, Readiness: supervisor.ReadinessExplicit, Backoff: supervisor.Backoff{Initial: time.Second}},
				{Name: "g1", Group: "g", Run: func(ctx context.Context) error {
					time.Sleep(2500 * time.Millisecond)
					return errors.New("group member failed")
				}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		sub := tree.Subscribe(1)
		time.Sleep(time.Second)
		if err := tree.RestartChild(context.Background(), "/stuck", audit); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		close(release)
		synctest.Wait()
		var events []supervisor.Event
		for {
			e, err := sub.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if e.Kind == supervisor.EventsDropped {
				events = append(events, e)
				break
			}
		}
		sub.Close()
		if _, err := tree.Shutdown(context.Background(), audit); err != nil {
			t.Fatal(err)
		}
		events = append(events, tree.Journal().Events...)
		seen := map[supervisor.EventKind]bool{}
		for _, e := range events {
			seen[e.Kind] = true
			var back supervisor.Event
			if err := json.Unmarshal(marshal(t, e), &back); err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			if (back.Err == nil) != (e.Err == nil) || (e.Err != nil && back.Err.Error() != e.Err.Error()) {
				t.Errorf("%s: error %v read back as %v", e.Kind, e.Err, back.Err)
			}
			back.Err, e.Err = nil, nil
			if !back.Time.Equal(e.Time) {
				t.Errorf("%s: time %v read back as %v", e.Kind, e.Time, back.Time)
			}
			back.Time, e.Time = time.Time{}, time.Time{}
			if !reflect.DeepEqual(back, e) {
				t.Errorf("a field set by the engine is lost in JSON:\n\tset:       %+v\n\tread back: %+v", e, back)
			}
		}
		for _, k := range []supervisor.EventKind{supervisor.EventChildAbandoned, supervisor.EventAbandonedExited,
			supervisor.EventHookPanicked, supervisor.EventChildUnhealthy, supervisor.EventChildQueued,
			supervisor.EventGroupQuarantined, supervisor.EventsDropped} {
			if !seen[k] {
				t.Errorf("the scenario made no %s event", k)
			}
		}
	})
}

// A JSON null decodes to nothing, as for encoding/json's own types: the
// value keeps what it had.
func TestJSONNullChangesNothing(t *testing.T) {
	i := supervisor.Intensity{MaxRestarts: 3, Period: 5 * time.Second}
	e := supervisor.Event{Seq: 7, Kind: supervisor.EventChildExited, Path: "/a"}
	x := supervisor.Exit{Class: supervisor.ExitAbnormal, Err: errors.New("boom")}
	for _, v := range []any{&i, &e, &x} {
		if err := json.Unmarshal([]byte("null"), v); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
	}
	if i.Period != 5*time.Second || i.MaxRestarts != 3 || e.Seq != 7 || x.Err == nil {
		t.Errorf("null changed them: %+v %+v %+v", i, e, x)
	}
}
