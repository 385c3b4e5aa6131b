package cli_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// durationRe finds what looks like a duration: digits with a unit, not
// inside a word.
var durationRe = regexp.MustCompile(`(?:^|[^\w.])(-?(?:\d+(?:\.\d+)?(?:h|ms|µs|us|ns|m|s))+)\b`)

// checkDurations fails t for every duration in out that is not written as
// a config file writes it (textfmt.Duration): "2m0s" for "2m", "1500ms"
// for "1.5s".
func checkDurations(t *testing.T, what, out string) {
	t.Helper()
	seen := map[string]bool{}
	for line := range strings.Lines(out) {
		for _, m := range durationRe.FindAllStringSubmatch(line, -1) {
			d, err := time.ParseDuration(m[1])
			if err != nil || seen[m[1]] {
				continue
			}
			if want := textfmt.Duration(d); want != m[1] {
				seen[m[1]] = true
				t.Errorf("%s writes the duration %q, not %q as a config file does, in:\n%s", what, m[1], want, line)
			}
		}
	}
}

// Every duration the command prints, in its status tables, its log lines,
// the library's reasons and errors it shows, and its usage errors, is
// written as a config file writes it: "2m", not "2m0s".
func TestDurationsAsConfigText(t *testing.T) {
	dir := t.TempDir()
	failing := func(inv *invocation) {
		inv.reg.Func("test.fail", func(ctx context.Context) error { return errors.New("boom") })
	}
	t.Run("long run", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			file := writeFile(t, filepath.Join(dir, "long.yaml"), `children:
  - {name: steady, run: test.idle}
  - name: slow
    run: test.fail
    backoff: {initial: 1m, max: 1m}
    quarantine: {off: true}
  - name: benched
    run: test.fail
    quarantine: {after: 1, within: 1m, probation: 5m}
`)
			inv := newInvocation()
			failing(inv)
			code := inv.start("run", "--status-every", "1m", file)
			time.Sleep(2*time.Minute + 30*time.Second)
			inv.sigs <- syscall.SIGTERM
			if c := <-code; c != cli.ExitOK {
				t.Fatalf("exit %d: %s", c, inv.stderr)
			}
			checkDurations(t, "run", inv.stdout.String()+inv.stderr.String())
			if !strings.Contains(inv.stdout.String(), "steady") || !strings.Contains(inv.stdout.String(), "quarantined") {
				t.Fatalf("output:\n%s", inv.stdout)
			}
		})
	})
	t.Run("storm", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			file := writeFile(t, filepath.Join(dir, "storm.yaml"), `intensity: {max_restarts: 1, period: 1m}
children:
  - {name: bad, run: test.fail, backoff: {off: true}}
`)
			inv := newInvocation()
			failing(inv)
			if c := <-inv.start("run", file); c != cli.ExitFailed {
				t.Fatalf("exit %d: %s", c, inv.stderr)
			}
			checkDurations(t, "run of a storm", inv.stdout.String()+inv.stderr.String())
			t.Log(inv.stdout.String() + inv.stderr.String())
		})
	})
	inv := newInvocation()
	if code := inv.main("run", "--status-every", "-60s", "x.yaml"); code != cli.ExitUsage {
		t.Fatalf("exit %d", code)
	}
	checkDurations(t, "a usage error", inv.stderr.String())
}
