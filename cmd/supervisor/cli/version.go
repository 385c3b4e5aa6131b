package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText is what the version command prints about this binary.
func versionText(name string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Sprintf("%s (unknown version: no build information)\ngo:       %s\n", name, runtime.Version())
	}
	return formatVersion(name, bi)
}

// formatVersion writes the main module's version ("(devel)" for a build
// from a checkout) and path, the VCS revision and time the binary was
// built from, if the build stamped them (go build -buildvcs=true), and the
// Go version.
func formatVersion(name string, bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\nmodule:   %s\n", name, bi.Main.Version, bi.Main.Path)
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		if vcs["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "revision: %s\n", rev)
	}
	if t := vcs["vcs.time"]; t != "" {
		fmt.Fprintf(&b, "time:     %s\n", t)
	}
	fmt.Fprintf(&b, "go:       %s\n", bi.GoVersion)
	return b.String()
}
