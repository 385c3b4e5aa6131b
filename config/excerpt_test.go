package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

// Verbose shows each problem's line of the file under it, with a caret
// under its column, as compilers do; Error stays one line a problem.
func TestErrorVerbose(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"deeper", "children:\n  - name: app\n    run: app\n      restart: permanent\n",
			"shop.yaml:4:7: restart is indented deeper than run at line 3, which has a value already: line it up with run, at column 5\n" +
				"    4 |       restart: permanent\n" +
				"      |       ^"},
		{"tab", "children:\n  - name: app\n  \trun: app\n",
			"shop.yaml:3:3: a tab indents this line: YAML indents with spaces only; replace the tab with spaces\n" +
				"    3 |   \trun: app\n" +
				"      |   ^"},
		{"after a tab", "children:\n  - name: app\n    run: app\n    restart:\tforever\n",
			"shop.yaml:4:5: children[0].restart: \"forever\" is not a restart type: use permanent, transient or temporary\n" +
				"    4 |     restart:\tforever\n" +
				"      |     ^"},
		{"invisible", "children:\n  - name: app\n    run: app\n    x\u202e: 1\n",
			"shop.yaml:4:5: children[0].\"x\\u202e\": unknown key: the keys here are name, run, exec, supervisor, restart, readiness, role, primary, group, significant, start_timeout, shutdown, backoff, quarantine, liveness, rules\n" +
				"    4 |     x\\u202e: 1\n" +
				"      |     ^"},
		{"two", "version: 2\nchildren:\n  - {name: app, run: nope}\n",
			"shop.yaml:1:1: version: 2 is not a version of this format: write 1, or leave version out\n" +
				"    1 | version: 2\n" +
				"      | ^\n" +
				"shop.yaml:3:17: children[0].run: \"nope\" is not a registered function: registered: api, app, cache, db, migrate, worker\n" +
				"    3 |   - {name: app, run: nope}\n" +
				"      |                 ^"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.yaml), "shop.yaml", testRegistry())
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %v, want a *config.Error", err)
			}
			if got := cerr.Verbose(); got != c.want {
				t.Errorf("Verbose:\n%s\nwant:\n%s", got, c.want)
			}
			if got := cerr.Error(); strings.Contains(got, "|") {
				t.Errorf("Error shows source lines: %q", got)
			}
			first := strings.Split(c.yaml, "\n")[cerr.Problems[0].Line-1]
			if cerr.Problems[0].Source != first {
				t.Errorf("Source %q, want the file's line %q", cerr.Problems[0].Source, first)
			}
		})
	}
}

// A long line is cut around the column, so that the caret stays in view.
func TestExcerptLongLine(t *testing.T) {
	p := config.Problem{Line: 7, Column: 300, Source: strings.Repeat("a", 299) + "b" + strings.Repeat("c", 300)}
	got := p.Excerpt()
	lines := strings.Split(got, "\n")
	if len(lines) != 2 {
		t.Fatalf("Excerpt %q, want 2 lines", got)
	}
	text, caret := lines[0][len("    7 | "):], lines[1][len("      | "):]
	if len([]rune(text)) > 130 || !strings.HasPrefix(text, "…") || !strings.HasSuffix(text, "…") {
		t.Errorf("text %q, want at most 130 characters cut on both sides", text)
	}
	if i := len([]rune(caret)) - 1; []rune(text)[i] != 'b' {
		t.Errorf("the caret is under %q, want it under the b:\n%s", []rune(text)[i], got)
	}
	if (config.Problem{Line: 1, Column: 1}).Excerpt() != "" {
		t.Error("a problem without a Source line has an excerpt")
	}
}
