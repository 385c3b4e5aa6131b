package config_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

// Writing out a child's default readiness changes nothing, start_timeout
// included: the verdict on a file does not depend on whether a default is
// written. A run child's readiness is immediate, an exec child's explicit.
func TestStartTimeoutReadinessDefault(t *testing.T) {
	for _, c := range []struct {
		kind, def string
		ok        bool
	}{
		{"run: app", "immediate", false},
		{"exec: {path: /bin/true}", "explicit", true},
		{"exec: {path: /bin/true, ready: {addr: ':8080'}}", "explicit", true},
	} {
		for _, timeout := range []string{"5s", "infinity"} {
			left := "children:\n  - name: a\n    " + c.kind + "\n    start_timeout: " + timeout + "\n"
			written := left + "    readiness: " + c.def + "\n"
			spec, errLeft := config.Parse([]byte(left), "f.yaml", testRegistry())
			_, errWritten := config.Parse([]byte(written), "f.yaml", testRegistry())
			if (errLeft == nil) != c.ok || (errWritten == nil) != c.ok {
				t.Errorf("%s, start_timeout: %s: without readiness: %v; with readiness: %s: %v; want ok = %v",
					c.kind, timeout, errLeft, c.def, errWritten, c.ok)
				continue
			}
			if !c.ok {
				l, w := problems(t, errLeft), problems(t, errWritten)
				if len(l) != 1 || len(w) != 1 || l[0][strings.Index(l[0], " "):] != w[0][strings.Index(w[0], " "):] {
					t.Errorf("%s: the problems differ when readiness: %s is written:\n%s\n%s", c.kind, c.def, l, w)
				}
				continue
			}
			if want := supervisor.Infinity; timeout == "infinity" && spec.Children[0].StartTimeout != want {
				t.Errorf("%s: start_timeout: infinity is %v, want supervisor.Infinity", c.kind, spec.Children[0].StartTimeout)
			}
		}
	}
}

// The template's child is a program: uncommenting its start_timeout, then
// the readiness the template gives as the default, leaves it valid.
func TestTemplateReadinessDefault(t *testing.T) {
	tmpl := config.Template()
	lines := bytes.Split(tmpl, []byte("\n"))
	var readiness, timeout int
	for i, l := range lines {
		switch {
		case bytes.HasPrefix(l, []byte("    #readiness: ")):
			readiness = i
		case bytes.HasPrefix(l, []byte("    #start_timeout: ")):
			timeout = i
		}
	}
	if readiness == 0 || timeout == 0 {
		t.Fatal("the template has no commented readiness or start_timeout for its child")
	}
	for _, uncomment := range [][]int{{timeout}, {timeout, readiness}} {
		edited := slices.Clone(lines)
		for _, i := range uncomment {
			edited[i] = bytes.Replace(edited[i], []byte("#"), nil, 1)
		}
		if _, err := config.Parse(bytes.Join(edited, []byte("\n")), "template.yaml", nil); err != nil {
			t.Errorf("uncommenting lines %v: %v", uncomment, err)
		}
	}
}
