package goroutines

import (
	"context"
	"runtime/pprof"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sample = `goroutine profile: total 5
2 @ 0x47d92e 0x480b25 0x4dbf76 0x483e41
# labels: {"other":"x", "supervisor":"abc:/db/x"}
#	0x480b24	time.Sleep+0x164	/usr/local/go/src/runtime/time.go:363
#	0x4dbf75	main.main.func1+0x35	/tmp/exp/main.go:16

1 @ 0x47d92e 0x4dbfbd 0x483e41
# labels: {"supervisor":"zzz:/db"}
#	0x4dbfbc	main.main.func2+0x1c	/tmp/exp/main.go:15

1 @ 0x442931 0x483e41
#	0x4c8770	runtime/pprof.writeRuntimeProfile+0xb0	/usr/local/go/src/runtime/pprof/pprof.go:851
`

func TestParse(t *testing.T) {
	got := parse([]byte(sample), "supervisor", func(v string) bool { return strings.HasPrefix(v, "abc:") })
	if len(got) != 1 {
		t.Fatalf("groups %+v", got)
	}
	g := got[0]
	want := "time.Sleep /usr/local/go/src/runtime/time.go:363\nmain.main.func1 /tmp/exp/main.go:16"
	if g.Count != 2 || g.Label != "abc:/db/x" || g.Stack != want {
		t.Fatalf("group %+v", g)
	}
	if n := len(parse([]byte(sample), "supervisor", func(string) bool { return true })); n != 2 {
		t.Fatalf("%d labelled groups, want 2", n)
	}
}

func TestLabelValue(t *testing.T) {
	for _, tc := range []struct{ set, key, want string }{
		{`{"a":"1", "b":"2"}`, "b", "2"},
		{`{"k":"with \"quotes\", and {braces}"}`, "k", `with "quotes", and {braces}`},
		{`{}`, "k", ""},
	} {
		if got, _ := labelValue(tc.set, tc.key); got != tc.want {
			t.Errorf("labelValue(%s, %s) = %q, want %q", tc.set, tc.key, got, tc.want)
		}
	}
}

func TestCaptureLive(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	ctx := pprof.WithLabels(context.Background(), pprof.Labels("supervisor", "live:/x"))
	go func() {
		pprof.SetGoroutineLabels(ctx)
		go func() { <-release }() // inherits the label
		close(started)
		<-release
	}()
	<-started
	match := func(v string) bool { return v == "live:/x" }
	if n := Count("supervisor", match); n != 2 {
		t.Fatalf("counted %d labelled goroutines, want 2", n)
	}
	gs := Capture("supervisor", match)
	if len(gs) == 0 || !strings.Contains(gs[0].Stack, "goroutines_test.go") {
		t.Fatalf("stacks %+v", gs)
	}
	close(release)
}
