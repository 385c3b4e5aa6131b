package config_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
		{"none registered", &config.Registry{}, "db",
			`"db" is not a registered function, and none is registered: the program registers them with Registry.Func`},
		{"nil registry", nil, "db",
			`"db" is not a registered function, and none is registered: the program registers them with Registry.Func`},
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
