package cli

import (
	"runtime/debug"
	"testing"
)

// A binary built from a checkout with -buildvcs=true shows its revision,
// marked if the tree had changes, and the revision's time.
func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0",
		Main: debug.Module{Path: "example.com/app", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "cf56b36a"},
			{Key: "vcs.time", Value: "2026-12-08T03:11:36Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "app v1.2.3\nmodule:   example.com/app\nrevision: cf56b36a (modified)\ntime:     2026-12-08T03:11:36Z\ngo:       go1.26.0\n"
	if got := formatVersion("app", bi); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
