package config_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

var update = flag.Bool("update", false, "rewrite the # want: lines of testdata/invalid to what Parse reports")

const wantPrefix = "# want: "

// splitWant returns a file's YAML and the problems its trailing "# want:"
// lines expect.
func splitWant(data []byte) (body []byte, want []string) {
	lines := strings.SplitAfter(string(data), "\n")
	n := len(lines)
	for n > 0 && (strings.HasPrefix(lines[n-1], wantPrefix) || lines[n-1] == "") {
		n--
	}
	for _, l := range lines[n:] {
		if s, ok := strings.CutPrefix(l, wantPrefix); ok {
			want = append(want, strings.TrimSuffix(s, "\n"))
		}
	}
	return []byte(strings.Join(lines[:n], "")), want
}

// Each file in testdata/invalid breaks one rule (or a few related ones)
// and ends with the exact problems Parse reports: position, key and
// message. schema/ holds what the JSON Schema rejects too, semantic/ what
// only the loader can know; the tools module checks that split.
func TestInvalidFiles(t *testing.T) {
	for _, path := range yamlFiles(t, filepath.Join("testdata", "invalid")) {
		name := strings.TrimSuffix(strings.TrimPrefix(path, filepath.Join("testdata", "invalid")+string(filepath.Separator)), ".yaml")
		t.Run(name, func(t *testing.T) {
			data := readFile(t, path)
			body, want := splitWant(data)
			spec, err := config.Parse(data, path, testRegistry())
			if err == nil {
				t.Fatalf("Parse accepted the file: %+v", spec)
			}
			if !errors.As(err, new(*config.Error)) {
				t.Errorf("errors.As(err, new(*config.Error)) is false for %v", err)
			}
			got := problems(t, err)
			if *update {
				var b bytes.Buffer
				b.Write(body)
				for _, p := range got {
					b.WriteString(wantPrefix + p + "\n")
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if len(want) == 0 {
				t.Fatalf("the file has no %q lines; Parse reports:\n%s", wantPrefix, strings.Join(got, "\n"))
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
