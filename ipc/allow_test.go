package ipc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAllowedProgramEmpty checks that an empty allowlist allows nothing
// and says how to allow a program.
func TestAllowedProgramEmpty(t *testing.T) {
	err := allowedProgram(&Config{}, "/bin/true")
	var ce *controlError
	if !errors.As(err, &ce) || ce.Code != codeExecNotAllowed || !strings.Contains(err.Error(), "ipc: exec_allow") {
		t.Errorf("empty allowlist: %v", err)
	}
}

// TestAllowedProgram tries to run programs other than the allowed ones by
// relative paths, ".." and symlinks (to the program, to its directory, to
// a multi-call program), and checks that only the entries as listed pass,
// and that a path to the same file is told which entry to name.
func TestAllowedProgram(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "bin")
	must(os.Mkdir(bin, 0o755))
	tool := filepath.Join(bin, "tool")
	must(os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755))
	shell := filepath.Join(bin, "sh")
	must(os.WriteFile(shell, []byte("#!/bin/sh\n"), 0o755))
	busybox := filepath.Join(bin, "busybox")
	must(os.WriteFile(busybox, []byte("#!/bin/sh\n"), 0o755))
	ls := filepath.Join(bin, "ls")
	must(os.Symlink("busybox", ls))
	link := filepath.Join(dir, "link")
	must(os.Symlink(tool, link))
	evil := filepath.Join(dir, "evil")
	must(os.Symlink(shell, evil))
	bb := filepath.Join(dir, "bb-sh")
	must(os.Symlink(busybox, bb))
	lnkdir := filepath.Join(dir, "lnkdir")
	must(os.Symlink(bin, lnkdir))
	cfg := &Config{ExecAllow: []string{tool, ls, filepath.Join(dir, "missing")}}

	for _, c := range []struct {
		path string
		ok   bool
		says string // in the refusal
	}{
		{tool, true, ""},
		{ls, true, ""}, // a symlink listed as it is
		{filepath.Join(dir, "missing"), true, ""},    // listed; does not exist yet
		{"bin/tool", false, "absolute path"},         // relative
		{"tool", false, "absolute path"},             // a name on PATH
		{bin + "/../bin/tool", false, `".."`},        // .. back to the same file
		{dir + "/other/../bin/tool", false, `".."`},  // .. through a missing directory
		{bin + "//tool", false, "repeated slashes"},  // not clean
		{tool + "/", false, "trailing slash"},        // not clean
		{bin + "/./tool", false, `"."`},              // not clean
		{link, false, "name " + `"` + tool + `"`},    // a symlink to an allowed program
		{lnkdir + "/tool", false, "same file as"},    // through a symlinked directory
		{evil, false, "not listed"},                  // a symlink to another program
		{shell, false, "not listed"},                 // another program
		{busybox, false, "same file as " + `"` + ls}, // the multi-call program an entry links to
		{bb, false, "same file as " + `"` + ls},      // another name for it
		{filepath.Join(dir, "nothing"), false, "not listed"},
	} {
		err := allowedProgram(cfg, c.path)
		var ce *controlError
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.path, err)
		case !c.ok && (!errors.As(err, &ce) || ce.Code != codeExecNotAllowed):
			t.Errorf("%s: allowed (%v)", c.path, err)
		case !c.ok && !strings.Contains(err.Error(), c.says):
			t.Errorf("%s: %q does not say %q", c.path, err, c.says)
		}
	}
}
