package config_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

// Error prints one problem per line, as file:line:column: path: message,
// and is an invalid spec.
func TestErrorFormat(t *testing.T) {
	_, err := config.Parse([]byte(`children:
  - name: app
    run: app
    backoff: {initial: 0s}
  - name: app
    run: app
`), "shop.yaml", testRegistry())
	want := "shop.yaml:4:15: children[0].backoff.initial: 0s must be more than 0: to restart at once, write off: true\n" +
		"shop.yaml:5:5: children[1].name: \"app\" is already the name of children[0]: names must be unique among siblings"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if !errors.As(err, new(*config.Error)) {
		t.Error("errors.As(err, new(*config.Error)) is false")
	}
	var cerr *config.Error
	if !errors.As(err, &cerr) || cerr.File != "shop.yaml" || len(cerr.Problems) != 2 {
		t.Fatalf("error %#v, want a *config.Error for shop.yaml with 2 problems", err)
	}
	p := cerr.Problems[0]
	if p.Path != "children[0].backoff.initial" || p.Line != 4 || p.Column != 15 ||
		p.Message != "0s must be more than 0: to restart at once, write off: true" {
		t.Errorf("problem %+v", p)
	}

	_, err = config.Parse([]byte("children: [\n"), "", nil)
	if got, want := err.Error(), "1:11: the [ opening this list is never closed: add ] after its last item"; got != want {
		t.Errorf("a syntax error without a file name: %q, want %q", got, want)
	}
}

// Every problem is reported at once, whatever its kind (unknown key, wrong
// type, unknown name, a problem of the spec found by supervisor.Validate),
// sorted by position.
func TestAllProblemsAtOnce(t *testing.T) {
	_, err := config.Parse([]byte(`strategy: one_for_none
children:
  - name: a
    run: nope
    restrat: transient
  - name: a
    run: db
    shutdown: 5
    rules: [{action: stop}]
  - name: b
    exec: {path: /bin/true, stop_signal: SIGNOPE}
    role: job
    restart: permanent
seeed: 3
`), "all.yaml", testRegistry())
	want := []string{
		`1:1: strategy: "one_for_none" is not a strategy: did you mean one_for_one? Use one_for_one, one_for_all or rest_for_one`,
		`4:5: children[0].run: "nope" is not a registered function: registered: api, app, cache, db, migrate, worker`,
		`5:5: children[0].restrat: unknown key: did you mean restart?`,
		`6:5: children[1].name: "a" is already the name of children[0]: names must be unique among siblings`,
		`8:5: children[1].shutdown: 5 has no unit: write 5s or 5ms, for instance`,
		`9:13: children[1].rules[0]: set at least one of is, as, message and exit_codes: a rule without a matcher would match every error`,
		`11:29: children[2].exec.stop_signal: "SIGNOPE" is not a signal: use a name such as SIGTERM, SIGINT or SIGQUIT, or a number such as 15`,
		`13:5: children[2].restart: a job runs to completion and cannot be permanent: use transient (the job role's default) or temporary, or the worker role`,
		`14:1: seeed: unknown key: did you mean seed?`,
	}
	if got := problems(t, err); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// YAML that the decoder must not follow blindly: several documents, an
// alias inside its own anchor, a merge of something that is no mapping,
// and aliases that expand exponentially.
func TestYAMLTraps(t *testing.T) {
	// Ten levels of ten aliases each: 10^10 children if expanded.
	laughs := "x:\n  a: &a {name: a, run: app}\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		laughs += fmt.Sprintf("  %c: &%c {name: %c, supervisor: {children: [%s]}}\n", i, i, i,
			strings.Repeat("*"+string(prev)+", ", 9)+"*"+string(prev))
	}
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"documents", "children: []\n---\nchildren: []\n",
			[]string{"2:1: a config file holds one YAML document: remove this one, or the --- before it"}},
		{"alias cycle", "children:\n  - &c\n    name: a\n    supervisor:\n      children: [*c]\n",
			[]string{"5:18: children[0].supervisor.children[0]: alias *c refers to a node it is part of: YAML cannot nest a value in itself"}},
		{"merge scalar", "children:\n  - <<: 5\n    name: a\n    run: app\n",
			[]string{"2:9: children[0]: << merges mappings: write <<: *anchor or <<: [*a, *b], not a number"}},
		{"billion laughs", laughs + "children: [*j]\n",
			[]string{
				"1:1: x: unknown key: the keys here are version, name, strategy, intensity, budget, max_restarting, groups, auto_shutdown, defaults, children, journal_size, seed, ipc",
				"2:19: children[0]" + strings.Repeat(".supervisor.children[0]", 4) + ".supervisor.children[2].supervisor.children[2]" +
					".supervisor.children[1].supervisor.children[1].supervisor.children[8].run: " +
					"the file expands to too many values (more than 100802) through its aliases: write it out, or alias less",
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.yaml), "trap.yaml", testRegistry())
			got := problems(t, err)
			if c.want != nil && !slices.Equal(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if len(got) > 1000 {
				t.Errorf("%d problems: aliases were expanded without bound", len(got))
			}
		})
	}
}

// Load reads a file; one that cannot be read is an error wrapping the
// file system's.
func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tree.yaml")
	if err := os.WriteFile(path, []byte("children:\n  - {name: app, run: app}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := config.Loader{Registry: testRegistry()}
	spec, err := l.Load(path)
	if err != nil || len(spec.Children) != 1 || runName(spec.Children[0].Run) != "app" {
		t.Fatalf("Load: %+v, %v", spec, err)
	}
	_, err = config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
	if strings.HasPrefix(err.Error(), "config: open ") == false {
		t.Errorf("error %q, want it to start with config: open", err)
	}
}

// A file that starts with a UTF-8 byte order mark loads like any other.
func TestByteOrderMark(t *testing.T) {
	reg := &config.Registry{}
	reg.Func("app", func(ctx context.Context) error { return nil })
	if _, err := config.Parse([]byte("\ufeffchildren:\n  - {name: a, run: app}\n"), "bom.yaml", reg); err != nil {
		t.Fatal(err)
	}
}
