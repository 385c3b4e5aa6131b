package config

import (
	"bytes"
	"errors"
	"strings"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
)

// childWrap is what DecodeChild puts before a child entry, each of whose
// lines it indents by childIndent, to read it as a file's only child.
const (
	childWrap   = "children:\n  -\n"
	childIndent = "    "
)

// DecodeChild decodes a child entry, as a config file's children list
// writes one (YAML or JSON), into a child, and lists the programs it runs
// (its exec, and those of its nested supervisors' children, with the env
// each sets as written). It is
// the ipc package's ChildDecoder: the add command of supervisor ctl and the
// dashboard takes a child so. Problems are placed in text, as for a file
// named "child".
func (l *Loader) DecodeChild(text []byte) (supervisor.Child, []ipc.Exec, error) {
	var b bytes.Buffer
	b.WriteString(childWrap)
	for _, line := range strings.SplitAfter(string(text), "\n") {
		if line != "" {
			b.WriteString(childIndent + line)
		}
	}
	r, problems := l.decode(b.Bytes())
	if problems != nil {
		return supervisor.Child{}, nil, childError(problems)
	}
	if len(r.spec.Children) != 1 {
		return supervisor.Child{}, nil, errors.New("config: a child entry is one mapping, such as {name: w1, exec: {path: /usr/bin/worker}}")
	}
	return r.spec.Children[0], execs(&r.doc.Supervisor, nil), nil
}

// execs appends the programs of the exec children of s, and of its nested
// supervisors, to out.
func execs(s *Supervisor, out []ipc.Exec) []ipc.Exec {
	for i := range s.Children {
		ch := &s.Children[i]
		if ch.Exec != nil {
			out = append(out, ipc.Exec{Program: ch.Exec.Path, Env: ch.Exec.Env})
		}
		if ch.Supervisor != nil {
			out = execs(ch.Supervisor, out)
		}
	}
	return out
}

// childError places the problems of a wrapped child entry in the entry.
func childError(ps []Problem) *Error {
	wrapLines := strings.Count(childWrap, "\n")
	for i := range ps {
		p := &ps[i]
		p.Path = strings.TrimPrefix(strings.TrimPrefix(p.Path, "children[0]"), ".")
		p.Source = strings.TrimPrefix(p.Source, childIndent)
		if p.Line > wrapLines {
			p.Line -= wrapLines
			p.Column = max(p.Column-len(childIndent), 1)
		} else {
			p.Line, p.Column = 1, 1
		}
	}
	return &Error{File: "child", Problems: ps}
}
