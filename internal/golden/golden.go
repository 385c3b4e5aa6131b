// Package golden compares JSON documents with golden files under testdata,
// and checks that they speak the project's one JSON vocabulary
// (docs/json.md): snake_case keys, durations as text, RFC 3339 times.
//
// Set GOLDEN_UPDATE=1 to rewrite the golden files from what the tests
// produce, then review the diff.
package golden

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// timeRE matches an RFC 3339 time in a JSON string.
var timeRE = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`)

// Normalize makes a document comparable across machines: every time is
// written in UTC (a machine's local zone does not change the golden file),
// and each key of replace found in the text becomes its value (a tree's
// random id, say). The field order is kept.
func Normalize(doc []byte, replace map[string]string) []byte {
	doc = timeRE.ReplaceAllFunc(doc, func(q []byte) []byte {
		t, err := time.Parse(time.RFC3339Nano, string(q[1:len(q)-1]))
		if err != nil {
			return q
		}
		return []byte(`"` + t.UTC().Format(time.RFC3339Nano) + `"`)
	})
	for old, new := range replace {
		doc = bytes.ReplaceAll(doc, []byte(old), []byte(new))
	}
	return doc
}

// Compare checks doc, normalized, against the golden file path (relative
// to the test's package directory): a JSON document, indented, or NDJSON
// when doc has one document per line.
func Compare(t *testing.T, path string, doc []byte, replace map[string]string) {
	t.Helper()
	got := pretty(t, Normalize(doc, replace))
	if os.Getenv("GOLDEN_UPDATE") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with GOLDEN_UPDATE=1 to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the test produced (GOLDEN_UPDATE=1 rewrites it):\n%s", path, diff(want, got))
	}
}

// pretty indents a JSON document; NDJSON stays one document per line.
func pretty(t *testing.T, doc []byte) []byte {
	t.Helper()
	doc = bytes.TrimSpace(doc)
	if lines := bytes.Split(doc, []byte("\n")); len(lines) > 1 && json.Valid(lines[0]) {
		var b bytes.Buffer
		for _, l := range lines {
			if err := json.Compact(&b, l); err != nil {
				t.Fatalf("not NDJSON: %v in %s", err, l)
			}
			b.WriteByte('\n')
		}
		return b.Bytes()
	}
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		t.Fatalf("not JSON: %v in %s", err, doc)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// diff shows the first lines where want and got differ.
func diff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n\twant: " + a + "\n\tgot:  " + b
		}
	}
	return "(same lines; different line endings?)"
}

// ReadBack decodes doc into v, a pointer to the Go type doc was written
// from, and checks that v encodes to doc again: a document that reads back
// unchanged loses nothing in a round trip.
func ReadBack(t *testing.T, doc []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(doc, v); err != nil {
		t.Fatalf("%T does not decode: %v", v, err)
	}
	again, err := json.Marshal(v)
	if err != nil || !bytes.Equal(again, bytes.TrimSpace(doc)) {
		t.Errorf("%T decoded and encoded again differs (%v):\n%s\n%s", v, err, doc, again)
	}
}
