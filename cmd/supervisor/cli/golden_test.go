package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
	"github.com/go-supervisor/supervisor/internal/golden"
)

// The JSON the command writes (check --json, plan --json, and every line
// of run --json: status records with the snapshot, the tree's events, a
// reload with its plan, the end) matches its golden file under testdata
// and speaks the library's one vocabulary; the plans and snapshots in it
// read back into their Go types (readBack).
func TestGoldenJSON(t *testing.T) {
	dir := t.TempDir()
	paths := map[string]string{dir: "DIR"}
	good := writeFile(t, filepath.Join(dir, "good.yaml"), validConfig)
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "children:\n  - name: a\n    run: test.nope\n    backofff: {}\n")
	newer := writeFile(t, filepath.Join(dir, "new.yaml"), strings.Replace(validConfig, "exec sleep 1000", "exec sleep 2000", 1)+
		"  - {name: b, run: test.idle}\n")
	for file, args := range map[string][]string{
		"check_valid.json":   {"check", "--json", good},
		"check_invalid.json": {"check", "--json", bad},
		"plan.json":          {"plan", "--json", good, newer},
	} {
		inv := newInvocation()
		inv.main(args...)
		golden.CheckVocabulary(t, []byte(inv.stdout.String()))
		golden.Compare(t, "testdata/"+file, []byte(inv.stdout.String()), paths)
		if file == "plan.json" {
			golden.ReadBack(t, []byte(inv.stdout.String()), new(supervisor.Plan))
		}
	}

	synctest.Test(t, func(t *testing.T) {
		app := filepath.Join(dir, "run.yaml")
		writeFile(t, app, "name: app\nchildren:\n  - {name: db, run: test.flaky, backoff: {initial: 500ms}}\n"+
			"  - name: workers\n    supervisor:\n      children:\n        - {name: w1, run: test.idle}\n")
		inv := newInvocation()
		runs := 0
		inv.reg.Func("test.flaky", func(ctx context.Context) error {
			if runs++; runs == 1 {
				time.Sleep(time.Second)
				return errors.New("dial tcp 10.0.0.7:5432: connection refused")
			}
			<-ctx.Done()
			return nil
		})
		code := inv.start("run", "--json", app)
		time.Sleep(3 * time.Second)
		writeFile(t, app, "name: app\nchildren:\n  - {name: db, run: test.flaky, backoff: {initial: 1s}}\n"+
			"  - name: workers\n    supervisor:\n      children:\n        - {name: w1, run: test.idle}\n        - {name: w2, run: test.idle}\n")
		inv.sigs <- syscall.SIGHUP
		time.Sleep(time.Second)
		inv.sigs <- syscall.SIGTERM
		if c := <-code; c != cli.ExitOK {
			t.Fatalf("run exited %d: %s", c, inv.stderr)
		}
		out := inv.stdout.String()
		var first struct {
			Snapshot struct {
				TreeID string `json:"tree_id"`
			} `json:"snapshot"`
		}
		for line := range strings.Lines(out) {
			if json.Unmarshal([]byte(line), &first) == nil && first.Snapshot.TreeID != "" {
				break
			}
		}
		if first.Snapshot.TreeID == "" {
			t.Fatalf("no status record with a snapshot in:\n%s", out)
		}
		golden.CheckVocabulary(t, []byte(out))
		for line := range strings.Lines(out) {
			var rec struct {
				Snapshot json.RawMessage `json:"snapshot"`
				Plan     json.RawMessage `json:"plan"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			if rec.Snapshot != nil {
				golden.ReadBack(t, rec.Snapshot, new(supervisor.Snapshot))
			}
			if rec.Plan != nil {
				golden.ReadBack(t, rec.Plan, new(supervisor.Plan))
			}
		}
		golden.Compare(t, "testdata/run.ndjson", eventsLast(t, out), map[string]string{dir: "DIR", first.Snapshot.TreeID: "7ree1d00"})
	})
}

// eventsLast orders the records of run --json for comparison: the tree's
// events are logged from their own goroutine, so at one instant they
// interleave with the command's own records (status, reload, stopped)
// differently from run to run. It returns the command's records in their
// order, then the events in sequence order.
func eventsLast(t *testing.T, out string) []byte {
	t.Helper()
	var records []string
	events := map[uint64]string{}
	var seqs []uint64
	for line := range strings.Lines(out) {
		var rec struct {
			Seq *uint64 `json:"seq"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if rec.Seq == nil {
			records = append(records, line)
			continue
		}
		events[*rec.Seq] = line
		seqs = append(seqs, *rec.Seq)
	}
	slices.Sort(seqs)
	for _, s := range seqs {
		records = append(records, events[s])
	}
	return []byte(strings.Join(records, ""))
}
