package config

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Registry names the Go values a config file refers to: the functions its
// children run (run: name), the sentinel errors its rules match with
// errors.Is (is: name) and the error types they match with errors.As
// (as: name). A file cannot hold code, so a program registers what its files
// may use, and a file that names anything else is rejected with the list of
// the names it could have used.
//
// The zero Registry is empty and ready to use. It is safe for concurrent
// use. Registering a name twice, an invalid name or a nil value panics, as
// http.ServeMux does with a bad pattern: it is a mistake in the program, not
// in a config file.
//
// A name is 1 to 128 characters: a letter or '_', then letters, digits and
// '_', '.', '-', '/' and ':', such as "db", "api.serve" or "fs.PathError".
type Registry struct {
	mu    sync.RWMutex
	funcs map[string]func(context.Context) error
	errs  map[string]error
	types map[string]error
}

// Func registers run under name, for children that say run: name. Each
// attempt of such a child calls run afresh; state that must outlive an
// attempt belongs in its closure (see supervisor.Child.Run).
func (r *Registry) Func(name string, run func(ctx context.Context) error) {
	if run == nil {
		panic(fmt.Sprintf("config: Registry.Func(%q): nil function", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	register(&r.funcs, "Func", name, run)
}

// Error registers err under name, for rules that say is: name: a rule with
// is matches an exit error e when errors.Is(e, err).
func (r *Registry) Error(name string, err error) {
	if err == nil {
		panic(fmt.Sprintf("config: Registry.Error(%q): nil error", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	register(&r.errs, "Error", name, err)
}

// ErrorType registers the type of target under name, for rules that say
// as: name: a rule with as matches an exit error e when errors.As finds an
// error of target's type in e. target is a value of the type, typically a
// nil pointer:
//
//	reg.ErrorType("fs.PathError", (*fs.PathError)(nil))
//	reg.ErrorType("exec.ExitError", (*exec.ExitError)(nil))
func (r *Registry) ErrorType(name string, target error) {
	if target == nil {
		panic(fmt.Sprintf("config: Registry.ErrorType(%q): nil target: pass a value of the error type, such as (*fs.PathError)(nil)", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	register(&r.types, "ErrorType", name, target)
}

func register[V any](m *map[string]V, method, name string, v V) {
	if p := registryNameProblem(name); p != "" {
		panic(fmt.Sprintf("config: Registry.%s(%q): invalid name: %s", method, name, p))
	}
	if _, dup := (*m)[name]; dup {
		panic(fmt.Sprintf("config: Registry.%s(%q): the name is already registered", method, name))
	}
	if *m == nil {
		*m = make(map[string]V)
	}
	(*m)[name] = v
}

const maxRegistryName = 128

// registryNameProblem says what is wrong with a registry name, or returns "".
func registryNameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > maxRegistryName:
		return fmt.Sprintf("it is %d bytes long: the limit is %d", len(name), maxRegistryName)
	}
	for i, c := range name {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if i == 0 && !letter {
			return fmt.Sprintf("it starts with %q: start with a letter or '_'", c)
		}
		if !letter && !(c >= '0' && c <= '9') && !strings.ContainsRune(".-/:", c) {
			return fmt.Sprintf("it contains %q: use letters, digits, '_', '.', '-', '/' and ':'", c)
		}
	}
	return ""
}

// kinds of registered names, for lookups and messages.
type regKind int

const (
	regFunc regKind = iota
	regError
	regType
)

var regKinds = [...]struct{ what, method, instead string }{
	regFunc: {"function", "Func",
		"run a program with exec: {path: ...} instead (the stock supervisor command runs only programs and nested supervisors)"},
	regError: {"error", "Error",
		"match the error by message or exit_codes instead (the stock supervisor command registers no errors)"},
	regType: {"error type", "ErrorType",
		"match the error by message or exit_codes instead (the stock supervisor command registers no error types)"},
}

// cliDoc is where docs/cli.md tells how to build a command that registers
// Go functions and errors.
const cliDoc = "docs/cli.md#running-go-functions"

func (r *Registry) fn(name string) (func(context.Context) error, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.funcs[name]
	return f, ok
}

func (r *Registry) err(kind regKind, name string) (error, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	m := r.errs
	if kind == regType {
		m = r.types
	}
	e, ok := m[name]
	return e, ok
}

// names returns the names registered of kind, sorted.
func (r *Registry) names(kind regKind) []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch kind {
	case regFunc:
		return slices.Sorted(maps.Keys(r.funcs))
	case regError:
		return slices.Sorted(maps.Keys(r.errs))
	}
	return slices.Sorted(maps.Keys(r.types))
}

// unknown says that name is not registered as kind, with the names that are.
// With none registered, the file is likely run by the stock supervisor
// command, whose registry is empty, or by a program that forgot to register:
// the message serves both, saying what to write instead and how to build a
// command that registers names.
func (r *Registry) unknown(kind regKind, name string) string {
	k := regKinds[kind]
	known := r.names(kind)
	if len(known) == 0 {
		to := ""
		if kind == regFunc {
			to = " to run Go functions"
		}
		return fmt.Sprintf("%q is not a registered %s, and this program registers none: %s, or build your own binary with cli.Main and Registry.%s%s (see %s)",
			name, k.what, k.instead, k.method, to, cliDoc)
	}
	return fmt.Sprintf("%q is not a registered %s: %s", name, k.what, nearest(name, known, "registered"))
}
