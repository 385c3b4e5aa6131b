package ipc

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// codeExecNotAllowed is the code of allowedProgram's controlErrors.
const codeExecNotAllowed = "exec_not_allowed"

// allowedProgram returns nil if a child added over IPC may run the
// program at path (control C9): path is absolute, clean (no "." or ".."
// element, no repeated or trailing slash), and one of cfg.ExecAllow's
// entries, as the entry is written. An empty ExecAllow allows no program.
//
// Symlinks are resolved (filepath.EvalSymlinks, both path and the
// entries) only to explain a refusal: a path that is not an entry but
// resolves to the same file as one is refused with a message naming the
// entry to use. It is not allowed because the check happens once and the
// program is run later, at each start of the child: a symlink that
// resolves to an allowed program today can be pointed at another one
// before then; and a multi-call program (busybox) does what the name it
// is run by says, so that allowing /bin/ls, a link to busybox, must not
// allow busybox itself, nor another link to it named sh.
//
// The error is a *controlError with code exec_not_allowed, saying why
// and which config key allows a program.
func allowedProgram(cfg *Config, path string) error {
	refuse := func(format string, args ...any) error {
		return &controlError{Code: codeExecNotAllowed, msg: fmt.Sprintf(format, args...)}
	}
	if len(cfg.ExecAllow) == 0 {
		return refuse("ipc: a child added over IPC may not run %q: no program may be run over IPC while ipc: exec_allow is empty; list the program's absolute path under ipc: exec_allow in the target's config to allow it", path)
	}
	if !filepath.IsAbs(path) {
		return refuse("ipc: a child added over IPC may not run %q: name the program by its absolute path, as ipc: exec_allow lists it (%s)", path, strings.Join(cfg.ExecAllow, ", "))
	}
	if filepath.Clean(path) != path {
		return refuse("ipc: a child added over IPC may not run %q: name the program without \".\" or \"..\" elements, repeated slashes or a trailing slash, as ipc: exec_allow lists it (%s)", path, strings.Join(cfg.ExecAllow, ", "))
	}
	for _, e := range cfg.ExecAllow {
		if e == path {
			return nil
		}
	}
	if e, ok := sameFileEntry(cfg.ExecAllow, path); ok {
		return refuse("ipc: a child added over IPC may not run %q: it is the same file as %q, which ipc: exec_allow lists, but only a path as listed is allowed (a symlink could be pointed elsewhere after this check); name %q, or add %q to ipc: exec_allow in the target's config", path, e, e, path)
	}
	return refuse("ipc: a child added over IPC may not run %q: it is not listed under ipc: exec_allow (%s); add it there in the target's config to allow it",
		path, strings.Join(cfg.ExecAllow, ", "))
}

// sameFileEntry returns the first entry of allow that resolves to the same
// file as path, when both exist.
func sameFileEntry(allow []string, path string) (string, bool) {
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", false
	}
	for _, e := range allow {
		if !filepath.IsAbs(e) {
			continue
		}
		if r, err := filepath.EvalSymlinks(e); err == nil && r == p {
			return e, true
		}
	}
	return "", false
}

// allowedEnv checks the environment a child added over IPC sets (C9): only
// the names ExecEnv lists, with values as written. An allowed program is
// trusted as the operator wrote it, but its environment, which a client
// writes, can make it run other code (LD_PRELOAD, PYTHONPATH) or read the
// target's secrets into the child (${file:...}, ${NAME}).
func allowedEnv(cfg *Config, env map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		switch {
		case !slices.Contains(cfg.ExecEnv, name):
			return &controlError{Code: "exec_env_not_allowed", msg: fmt.Sprintf(
				"ipc: a child added over IPC may not set %s: ipc: exec_env lists the names it may set (none by default)", quote(name))}
		case strings.Contains(env[name], "${"):
			return &controlError{Code: "exec_env_not_allowed", msg: fmt.Sprintf(
				"ipc: %s of a child added over IPC refers to the target's environment or files (${...}): write its value as it is", quote(name))}
		}
	}
	return nil
}
