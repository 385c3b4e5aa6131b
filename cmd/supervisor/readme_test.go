package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's config file runs as it is with the stock command, as the
// README says: the command starts it, and stops it cleanly on SIGTERM.
func TestREADMEConfigRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)[strings.Index(string(readme), "## Config files and the CLI"):]
	start := strings.Index(section, "```yaml\n")
	if start < 0 {
		t.Fatal("no YAML block in the README's config section")
	}
	yaml := section[start+len("```yaml\n"):]
	yaml = yaml[:strings.Index(yaml, "```")]
	file := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, lines := startBinary(t, 30*time.Second, build(t), "run", file)
	var out strings.Builder
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "── started") {
		out.WriteString(lines.Text() + "\n")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run README's config: %v\n%s", err, out.String())
	}
}
