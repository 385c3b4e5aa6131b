package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-supervisor/supervisor/config"
)

// programWarnings looks up the program of every exec child of the valid
// config file at path, loaded with l, as run would start it, from the
// current directory and PATH, and returns what would make the start fail
// (exit code ExitStart): a working directory or a program that is missing,
// or not executable. Each is placed at its key (exec.path or exec.dir), or,
// for a key an alias brought in, at the nearest key above it that is in
// the file (see config.Position).
func programWarnings(l *config.Loader, path string) []config.Problem {
	data, err := os.ReadFile(path) // loaded: it can be read
	if err != nil {
		return nil
	}
	progs, err := l.Programs(data, path)
	if err != nil {
		return nil // a valid file: cannot happen
	}
	var found []config.Problem
	for _, p := range progs {
		key, msg := programProblem(p.Program, p.Dir)
		if msg == "" {
			continue
		}
		at := p.At
		if key == "dir" {
			at = p.DirAt
		}
		found = append(found, config.Problem{Path: at.Key, Line: at.Line, Column: at.Column, Message: msg, Source: at.Source})
	}
	return found
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
