//go:build linux

package process_test

import (
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor/process"
)

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal
	}{
		{"SIGTERM", syscall.SIGTERM},
		{"TERM", syscall.SIGTERM},
		{"term", syscall.SIGTERM},
		{"sigterm", syscall.SIGTERM},
		{" 15 ", syscall.SIGTERM},
		{"SIGKILL", syscall.SIGKILL},
		{"hup", syscall.SIGHUP},
		{"Usr2", syscall.SIGUSR2},
		{"3", syscall.SIGQUIT},
		{"SIGRTMIN", 34},
		{"rtmin+2", 36},
		{"SIGRTMAX-1", 63},
		{"SIGRTMAX", 64},
		{"64", 64},
	} {
		got, err := process.ParseSignal(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0", "-1", "65", "32", "SIGFOO", "SIG", "TERM1", "1.5", "SIGRTMIN-1", "SIGRTMAX+1", "SIGRTMIN+31", "SIGRTMIN++1", "+15"} {
		if got, err := process.ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q) = %d, want an error", in, got)
		}
	}
	_, err := process.ParseSignal("SIGFOO")
	if want := `process: "SIGFOO" is not a signal: use a name such as SIGTERM, TERM or term, or a number such as 15`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{
		syscall.SIGTERM: "SIGTERM",
		syscall.SIGKILL: "SIGKILL",
		syscall.SIGUSR1: "SIGUSR1",
		34:              "SIGRTMIN",
		40:              "SIGRTMIN+6",
		99:              "signal 99",
	} {
		if got := process.SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", sig, got, want)
		}
	}
	// Every name parses back.
	for sig := syscall.Signal(1); sig <= 64; sig++ {
		name := process.SignalName(sig)
		if sig == 32 || sig == 33 {
			continue // kept by the C library: no name
		}
		if got, err := process.ParseSignal(name); err != nil || got != sig {
			t.Errorf("ParseSignal(SignalName(%d) = %q) = %d, %v", sig, name, got, err)
		}
	}
}
