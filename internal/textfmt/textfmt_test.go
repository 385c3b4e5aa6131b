package textfmt

import (
	"errors"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 1500 * time.Millisecond: "1.5s", 5 * time.Minute: "5m", 2 * time.Hour: "2h",
		90 * time.Minute: "1h30m", time.Hour + 30*time.Second: "1h0m30s", math.MaxInt64: "infinity",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%d) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(want); want != "infinity" && (err != nil || back != d) {
			t.Errorf("%q reads back as %v, %v", want, back, err)
		}
	}
}

type panicky struct{}

func (panicky) Error() string { panic("boom") }

func TestError(t *testing.T) {
	if Error(nil) != "" || Error(errors.New("x")) != "x" {
		t.Error("Error of nil or of a plain error")
	}
	if got := Error(panicky{}); got != "(Error method panicked: boom)" {
		t.Errorf("Error of a panicking error = %q", got)
	}
}
