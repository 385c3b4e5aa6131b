package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/go-supervisor/supervisor/config"
)

// programWarnings looks up the program of every exec child of the valid
// config file data as run would start it, from the current directory and
// PATH, and returns what would make the start fail (exit code ExitStart):
// a working directory or a program that is missing, or not executable.
// Each is placed at its key (exec.path or exec.dir), or, for a key an
// alias brought in, at the nearest key above it that is in the file.
//
// The config package keeps the positions of keys to itself: this reads
// the file again (once, for the values and the positions).
func programWarnings(data []byte) []problem {
	if !bytes.Contains(data, []byte("exec")) {
		return nil // no exec child: no need to parse the file again
	}
	file, err := parser.ParseBytes(bytes.TrimPrefix(data, []byte("\ufeff")), 0)
	var f config.File
	if err != nil || len(file.Docs) == 0 || yaml.NodeToValue(file.Docs[0].Body, &f) != nil {
		return nil // a valid file: cannot happen
	}
	var found []problem
	eachExec(&f.Supervisor, "", func(at string, e *config.Exec) {
		if key, msg := programProblem(e.Path, e.Dir); msg != "" {
			found = append(found, problem{Path: at + ".exec." + key, Message: msg})
		}
	})
	if len(found) == 0 {
		return nil
	}
	pos := keyPositions(file.Docs[0])
	for i := range found {
		p := nearest(pos, found[i].Path)
		found[i].Line, found[i].Column = p.Line, p.Column
	}
	return found
}

// eachExec calls f with the key path and the exec of every exec child of
// s and of its nested supervisors, in file order.
func eachExec(s *config.Supervisor, prefix string, f func(at string, e *config.Exec)) {
	for i := range s.Children {
		c := &s.Children[i]
		at := prefix + "children[" + strconv.Itoa(i) + "]"
		if c.Exec != nil {
			f(at, c.Exec)
		}
		if c.Supervisor != nil {
			eachExec(c.Supervisor, at+".supervisor.", f)
		}
	}
}

// programProblem says what would keep run from starting the program at
// path in the working directory dir: the key it is about ("path" or
// "dir") and a message, or "" for none.
func programProblem(path, dir string) (key, msg string) {
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return "dir", fmt.Sprintf("%q %s: run would fail to start the program there", dir, fileProblem(err, "is not a directory"))
		}
	}
	name := path
	if strings.Contains(path, "/") && !filepath.IsAbs(path) && dir != "" {
		// Relative to the program's working directory, as os/exec runs it.
		name = filepath.Join(dir, path)
		if !strings.Contains(name, "/") {
			name = "./" + name
		}
	}
	_, err := exec.LookPath(name)
	switch {
	case err == nil:
		return "", ""
	case errors.Is(err, exec.ErrDot):
		return "path", fmt.Sprintf("%q is found in PATH only through the current directory, which run refuses: write ./%s", path, path)
	case errors.Is(err, exec.ErrNotFound):
		return "path", fmt.Sprintf("%q is not found in PATH: install it, or write its file path", path)
	}
	what := fileProblem(err, "is not a program")
	if errors.Is(err, fs.ErrPermission) {
		what += " (chmod +x it, or run it through its interpreter)"
	}
	return "path", fmt.Sprintf("%q %s: run would fail to start it", path, what)
}

// fileProblem says what err, from looking at a file, means.
func fileProblem(err error, otherwise string) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "is not executable by this user"
	case err != nil && strings.Contains(err.Error(), "is a directory"):
		return "is a directory"
	}
	return otherwise
}

// keyPositions maps the key path of every key and list item of the YAML
// document doc ("children[1].exec.path") to its position.
func keyPositions(doc ast.Node) map[string]*token.Position {
	pos := map[string]*token.Position{}
	var walk func(n ast.Node, at string)
	walk = func(n ast.Node, at string) {
		switch n := n.(type) {
		case *ast.DocumentNode:
			walk(n.Body, at)
		case *ast.AnchorNode:
			walk(n.Value, at)
		case *ast.TagNode:
			walk(n.Value, at)
		case *ast.MappingNode:
			for _, v := range n.Values {
				walk(v, at)
			}
		case *ast.MappingValueNode:
			key := join(at, n.Key.GetToken().Value)
			pos[key] = n.Key.GetToken().Position
			walk(n.Value, key)
		case *ast.SequenceNode:
			for i, v := range n.Values {
				item := at + "[" + strconv.Itoa(i) + "]"
				pos[item] = v.GetToken().Position
				walk(v, item)
			}
		}
	}
	walk(doc, "")
	return pos
}

// nearest returns the position of the key at path, or of the nearest key
// above it in pos; line 1, column 1 if none is.
func nearest(pos map[string]*token.Position, path string) token.Position {
	for p := path; p != ""; p = parentKey(p) {
		if q := pos[p]; q != nil {
			return *q
		}
	}
	return token.Position{Line: 1, Column: 1}
}

// parentKey is the key path above path: "a.b[2]" for "a.b[2].c", "a.b"
// for "a.b[2]", "" for "a".
func parentKey(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// join joins a key to the key path at.
func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}
