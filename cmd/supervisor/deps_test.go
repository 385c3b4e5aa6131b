package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The command reads config files only through package config, which knows
// every key's position: no package of the command, nor its tests, parses
// YAML itself.
func TestNoYAMLParserOfItsOwn(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		`{{range .Imports}}{{$.ImportPath}} {{.}}{{"\n"}}{{end}}{{range .TestImports}}{{$.ImportPath}} {{.}}{{"\n"}}{{end}}{{range .XTestImports}}{{$.ImportPath}} {{.}}{{"\n"}}{{end}}`,
		"./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if pkg, imp, _ := strings.Cut(strings.TrimSpace(line), " "); strings.HasPrefix(imp, "github.com/goccy/go-yaml") {
			t.Errorf("%s imports %s: read config files with package config", pkg, imp)
		}
	}
}
