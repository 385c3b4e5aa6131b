package config

import (
	"strings"
)

// Program is the program an exec child runs, as a config file names it,
// with where the file names it: what a tool checks before the tree runs
// (supervisor check looks each program up as the child would start it).
type Program struct {
	// Path is the child's path in the tree, such as /workers/w1.
	Path string
	// Program is the child's exec.path, as written; At is where.
	Program string
	At      Position
	// Dir is the child's exec.dir, as written; DirAt is where. Both are
	// zero if the file sets no dir.
	Dir   string
	DirAt Position
}

// Position is where a config file writes a key.
type Position struct {
	// Key is the key's path, as in Problem.Path, such as
	// children[1].exec.path.
	Key string
	// Line and Column locate the key or, for a key an alias or a merge key
	// brought in from an anchor, the nearest key above it that is written
	// in its place (exec for exec: *anchor), as Problem does for a missing
	// key. Both count from 1.
	Line, Column int
	// Source is the file's line Line, as in Problem.Source.
	Source string
}

// Programs returns the program of every exec child of the YAML document
// data, nested supervisors' included, in the order the file writes them.
// It reads data as Parse does: for a document Parse rejects, it returns
// the same *Error and no programs.
func (l *Loader) Programs(data []byte, filename string) ([]Program, error) {
	r, problems := l.decode(data)
	if problems != nil {
		return nil, &Error{File: filename, Problems: problems}
	}
	lines := strings.Split(string(r.d.src), "\n")
	return r.d.programs(&r.doc.Supervisor, "", "", lines, nil), nil
}

// programs appends the programs of the exec children of s, at key path
// at and tree path parent, and of its nested supervisors, to out.
func (d *decoder) programs(s *Supervisor, at, parent string, lines []string, out []Program) []Program {
	for i := range s.Children {
		ch, key, path := &s.Children[i], index(join(at, "children"), i), parent+"/"+s.Children[i].Name
		if e := ch.Exec; e != nil {
			p := Program{Path: path, Program: e.Path, At: d.written(join(join(key, "exec"), "path"), lines)}
			dir := join(join(key, "exec"), "dir")
			if _, set := d.pos[dir]; set {
				p.Dir, p.DirAt = e.Dir, d.written(dir, lines)
			}
			out = append(out, p)
		}
		if ch.Supervisor != nil {
			out = d.programs(ch.Supervisor, join(key, "supervisor"), path, lines, out)
		}
	}
	return out
}

// written returns where the file writes the key at path: see Position.
func (d *decoder) written(path string, lines []string) Position {
	at := Position{Key: path, Line: 1, Column: 1}
	for p := path; ; p = parentPath(p) {
		if pos, ok := d.pos[p]; ok && !d.borrowed[p] {
			at.Line, at.Column = max(pos.Line, 1), max(pos.Column, 1)
			break
		}
		if p == "" {
			break
		}
	}
	if at.Line <= len(lines) {
		at.Source = lines[at.Line-1]
	}
	return at
}
