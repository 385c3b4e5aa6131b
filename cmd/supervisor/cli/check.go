package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

// loader loads config files with the command's registry; logger receives
// the output of their process children.
func (c *cmd) loader(logger *slog.Logger) *config.Loader {
	return &config.Loader{Registry: c.Registry, Logger: logger, Lookup: c.Lookup}
}

// load reads a config file with the command's loader.
func (c *cmd) load(path string, logger *slog.Logger) (supervisor.Spec, error) {
	return c.loader(logger).Load(path)
}

// problem is a config problem as check --json writes it.
type problem struct {
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// problems lists what err says is wrong with a config file.
func problems(err error) []problem {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return []problem{{Message: err.Error()}}
	}
	return problemsJSON(ce.Problems)
}

// problemsJSON is ps as check --json writes them.
func problemsJSON(ps []config.Problem) []problem {
	if len(ps) == 0 {
		return nil
	}
	out := make([]problem, len(ps))
	for i, p := range ps {
		out[i] = problem{Path: p.Path, Line: p.Line, Column: p.Column, Message: p.Message}
	}
	return out
}

// errorText is err as the command prints it on stderr: a config file's
// problems each with its line and a caret under its column, as a compiler
// shows errors (config.Error.Verbose).
func errorText(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce.Verbose()
	}
	return err.Error()
}

func (c *cmd) check(path string, jsonOut bool) int {
	l := c.loader(slog.New(slog.DiscardHandler))
	spec, err := l.Load(path)
	var warnings []config.Problem
	if err == nil {
		warnings = programWarnings(l, path)
	}
	code := ExitOK
	switch {
	case err != nil:
		code = ExitInvalid
	case len(warnings) > 0:
		code = ExitWarning
	}
	if jsonOut {
		out := struct {
			File     string    `json:"file"`
			Valid    bool      `json:"valid"`
			Children int       `json:"children,omitempty"`
			Problems []problem `json:"problems,omitempty"`
			Warnings []problem `json:"warnings,omitempty"`
		}{File: path, Valid: err == nil, Warnings: problemsJSON(warnings)}
		if err != nil {
			out.Problems = problems(err)
		} else {
			out.Children = countChildren(&spec)
		}
		c.json(out)
		return code
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, errorText(err))
		return code
	}
	if len(warnings) > 0 {
		fmt.Fprintln(c.Stderr, errorText(&config.Error{File: path, Problems: warnings}))
	}
	fmt.Fprintf(c.Stdout, "%s: valid, %s", path, plural(countChildren(&spec), "child"))
	if len(warnings) > 0 {
		fmt.Fprintf(c.Stdout, "; %s (on stderr): run would fail to start", plural(len(warnings), "warning"))
	}
	fmt.Fprintln(c.Stdout)
	return code
}

func (c *cmd) plan(oldPath, newPath string, jsonOut bool) int {
	discard := slog.New(slog.DiscardHandler)
	fail := func(file string, err error) int {
		if jsonOut {
			c.json(struct {
				File     string    `json:"file"`
				Problems []problem `json:"problems"`
			}{file, problems(err)})
		}
		fmt.Fprintln(c.Stderr, errorText(err))
		return ExitInvalid
	}
	old, err := c.load(oldPath, discard)
	if err != nil {
		return fail(oldPath, err)
	}
	new, err := c.load(newPath, discard)
	if err != nil {
		return fail(newPath, err)
	}
	p, err := supervisor.Diff(old, new)
	if err != nil { // a change a running tree cannot take
		return fail(newPath, err)
	}
	p = fileTerms(p)
	if jsonOut {
		c.json(p)
		return ExitOK
	}
	fmt.Fprint(c.Stdout, p)
	return ExitOK
}

// fileTerms names a plan's fields as config files do: max_restarting
// rather than the Spec's maxRestarting.
func fileTerms(p *supervisor.Plan) *supervisor.Plan {
	out := &supervisor.Plan{Changes: make([]supervisor.Change, len(p.Changes))}
	for i, c := range p.Changes {
		c.Fields = slices.Clone(c.Fields)
		for j, f := range c.Fields {
			c.Fields[j] = config.KeyPath(f)
		}
		out.Changes[i] = c
	}
	return out
}

// plural is "1 change", "2 changes"; "1 child", "2 children".
func plural(n int, what string) string {
	switch {
	case n == 1:
		return "1 " + what
	case what == "child":
		return strconv.Itoa(n) + " children"
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// json writes v as one line of JSON to stdout.
func (c *cmd) json(v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types: cannot happen
		fmt.Fprintln(c.Stderr, err)
		return
	}
	c.Stdout.Write(append(b, '\n'))
}

// countChildren counts the children a spec declares, nested ones included.
func countChildren(s *supervisor.Spec) int {
	n := len(s.Children)
	for i := range s.Children {
		if t := s.Children[i].Tree; t != nil {
			n += countChildren(t)
		}
	}
	return n
}
