package process

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// ParseSignal returns the signal named s: a name with or without its "SIG"
// prefix, in any case ("SIGTERM", "TERM", "term"), or a number ("15"). On
// Linux it also accepts the real-time signals as SIGRTMIN, SIGRTMIN+n,
// SIGRTMAX-n and SIGRTMAX, counted as the C library counts them (SIGRTMIN
// is 34). Zero, the null signal, is not a signal here.
func ParseSignal(s string) (syscall.Signal, error) {
	t := strings.TrimSpace(s)
	if t != "" && t[0] >= '0' && t[0] <= '9' {
		n, err := strconv.Atoi(t)
		if err == nil && n > 0 && validSignal(syscall.Signal(n)) {
			return syscall.Signal(n), nil
		}
	} else {
		name := strings.ToUpper(t)
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		if sig, ok := signalByName(name); ok {
			return sig, nil
		}
	}
	return 0, fmt.Errorf("process: %q is not a signal: use a name such as SIGTERM, TERM or term, or a number such as 15", s)
}

// SignalName returns the name of sig, such as "SIGTERM", or "signal 99"
// for a number that names no signal. ParseSignal accepts every name it
// returns.
func SignalName(sig syscall.Signal) string {
	if name, ok := signalName(sig); ok {
		return name
	}
	return "signal " + strconv.Itoa(int(sig))
}

// validSignal reports whether sig is a signal of this platform.
func validSignal(sig syscall.Signal) bool {
	_, ok := signalName(sig)
	return ok
}
