package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-duration", "60s", "-out", "/tmp/x"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Duration != time.Minute || c.warmup() != 10*time.Second || c.Out != "/tmp/x" || c.Interval != time.Second {
		t.Errorf("config %+v, warm-up %v", c, c.warmup())
	}
	c, _ = parseFlags([]string{"-duration", "1h"}, &bytes.Buffer{})
	if c.warmup() != 6*time.Minute {
		t.Errorf("warm-up of an hour's run %v, want 6m", c.warmup())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "5s"},                  // shorter than the 10 s minimum warm-up
		{"-duration", "5s", "-warmup", "5s"}, // warm-up not shorter than the run
		{"-duration", "20s", "-warmup", "5s", "-interval", "10s"},
		{"-fail-rate", "0"},
		{"-cmd-workers", "0"},
		{"-min-workload", "2"},
		{"-nosuchflag"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		if code := soakMain(args, &bytes.Buffer{}, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("%q: nothing on stderr", args)
		}
	}
	var stderr bytes.Buffer
	if code := soakMain([]string{"-h"}, &bytes.Buffer{}, &stderr); code != 0 || !strings.Contains(stderr.String(), "-duration") {
		t.Errorf("-h: exit %d, usage %q", code, stderr.String())
	}
}
