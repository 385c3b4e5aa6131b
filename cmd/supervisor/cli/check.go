package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

// load reads a config file with the command's registry; logger receives
// the output of its process children.
func (c *cmd) load(path string, logger *slog.Logger) (supervisor.Spec, error) {
	l := config.Loader{Registry: c.Registry, Logger: logger, Lookup: c.Lookup}
	return l.Load(path)
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
	out := make([]problem, len(ce.Problems))
	for i, p := range ce.Problems {
		out[i] = problem{Path: p.Path, Line: p.Line, Column: p.Column, Message: p.Message}
	}
	return out
}

func (c *cmd) check(path string, jsonOut bool) int {
	spec, err := c.load(path, slog.New(slog.DiscardHandler))
	var warnings []problem
	if err == nil {
		data, rerr := os.ReadFile(path) // loaded: it can be read
		if rerr == nil {
			warnings = programWarnings(data)
		}
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
		}{File: path, Valid: err == nil, Warnings: warnings}
		if err != nil {
			out.Problems = problems(err)
		} else {
			out.Children = countChildren(&spec)
		}
		c.json(out)
		return code
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return code
	}
	for _, w := range warnings {
		fmt.Fprintf(c.Stderr, "%s:%d:%d: %s: %s\n", path, w.Line, w.Column, w.Path, w.Message)
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
		fmt.Fprintln(c.Stderr, err)
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
