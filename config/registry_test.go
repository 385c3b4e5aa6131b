package config_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want %q", want)
		}
		if fmt.Sprint(r) != want {
			t.Fatalf("panic %q, want %q", r, want)
		}
	}()
	f()
}

// Registering a name twice, an invalid name or a nil value is a mistake in
// the program: it panics, saying which.
func TestRegistryPanics(t *testing.T) {
	var reg config.Registry
	reg.Func("db", idle)
	reg.Error("ErrDrained", errDrained)
	reg.ErrorType("fs.PathError", (*fs.PathError)(nil))
	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"duplicate func", func() { reg.Func("db", idle) },
			`config: Registry.Func("db"): the name is already registered`},
		{"duplicate error", func() { reg.Error("ErrDrained", errors.New("other")) },
			`config: Registry.Error("ErrDrained"): the name is already registered`},
		{"duplicate type", func() { reg.ErrorType("fs.PathError", (*fs.PathError)(nil)) },
			`config: Registry.ErrorType("fs.PathError"): the name is already registered`},
		{"empty name", func() { reg.Func("", idle) },
			`config: Registry.Func(""): invalid name: it is empty`},
		{"space", func() { reg.Func("my func", idle) },
			`config: Registry.Func("my func"): invalid name: it contains ' ': use letters, digits, '_', '.', '-', '/' and ':'`},
		{"digit first", func() { reg.Error("1st", errDrained) },
			`config: Registry.Error("1st"): invalid name: it starts with '1': start with a letter or '_'`},
		{"too long", func() { reg.Func(strings.Repeat("a", 129), idle) },
			`config: Registry.Func("` + strings.Repeat("a", 129) + `"): invalid name: it is 129 bytes long: the limit is 128`},
		{"nil func", func() { reg.Func("api", nil) },
			`config: Registry.Func("api"): nil function`},
		{"nil error", func() { reg.Error("ErrX", nil) },
			`config: Registry.Error("ErrX"): nil error`},
		{"nil type", func() { reg.ErrorType("os.SyscallError", nil) },
			`config: Registry.ErrorType("os.SyscallError"): nil target: pass a value of the error type, such as (*fs.PathError)(nil)`},
	} {
		t.Run(c.name, func(t *testing.T) { wantPanic(t, c.want, c.f) })
	}
}

const oneChild = "children:\n  - name: x\n    run: %s\n"

// An unknown name lists the registered ones, sorted, with the nearest as a
// suggestion; with many, only the nearest few, nearest first.
func TestRegistryUnknownNames(t *testing.T) {
	var few config.Registry
	for _, n := range []string{"worker", "api", "db"} {
		few.Func(n, idle)
	}
	var many config.Registry
	for i := 1; i <= 20; i++ {
		many.Func(fmt.Sprintf("job%02d", i), idle)
	}
	many.Func("db", idle)
	for _, c := range []struct {
		name string
		reg  *config.Registry
		run  string
		want string
	}{
		{"few, one close", &few, "dbb",
			`"dbb" is not a registered function: did you mean db? registered: api, db, worker`},
		{"few, none close", &few, "scheduler",
			`"scheduler" is not a registered function: registered: api, db, worker`},
		{"many", &many, "jb07",
			`"jb07" is not a registered function: did you mean job07? registered (the 5 nearest of 21): job07, job01, job02, job03, job04`},
		{"none registered", &config.Registry{}, "db", noneRegistered},
		{"nil registry", nil, "db", noneRegistered},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse(fmt.Appendf(nil, oneChild, c.run), "f.yaml", c.reg)
			want := "3:5: children[0].run: " + c.want
			if got := problems(t, err); len(got) != 1 || got[0] != want {
				t.Fatalf("problems %q, want %q", got, want)
			}
		})
	}
}

// noneRegistered is the problem with run: db when the program registers
// no function, as the stock supervisor command does: it serves a user of
// the command as well as a programmer.
const noneRegistered = `"db" is not a registered function, and this program registers none: ` +
	`run a program with exec: {path: ...} instead (the stock supervisor command runs only programs and nested supervisors), ` +
	`or build your own binary with cli.Main and Registry.Func to run Go functions (see docs/cli.md#running-go-functions)`

// is and as names, with no error registered, say so the same way.
func TestUnknownErrorsNoneRegistered(t *testing.T) {
	_, err := config.Parse([]byte(`children:
  - name: app
    exec: {path: /bin/true}
    rules:
      - {is: ErrDrained, action: stop}
      - {as: fs.PathError, action: stop}
`), "f.yaml", nil)
	want := []string{
		`5:10: children[0].rules[0].is: "ErrDrained" is not a registered error, and this program registers none: ` +
			`match the error by message or exit_codes instead (the stock supervisor command registers no errors), ` +
			`or build your own binary with cli.Main and Registry.Error (see docs/cli.md#running-go-functions)`,
		`6:10: children[0].rules[1].as: "fs.PathError" is not a registered error type, and this program registers none: ` +
			`match the error by message or exit_codes instead (the stock supervisor command registers no error types), ` +
			`or build your own binary with cli.Main and Registry.ErrorType (see docs/cli.md#running-go-functions)`,
	}
	if got := problems(t, err); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A registry may be filled and read from several goroutines.
func TestRegistryConcurrent(t *testing.T) {
	var reg config.Registry
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("f%d", i)
			reg.Func(name, func(context.Context) error { return nil })
			if _, err := config.Parse(fmt.Appendf(nil, oneChild, name), "f.yaml", &reg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
