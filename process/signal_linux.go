package process

import (
	"strconv"
	"strings"
	"syscall"
)

// Linux's real-time signals, as the C library counts them: it keeps 32
// and 33 for itself.
const (
	sigRTMin syscall.Signal = 34
	sigRTMax syscall.Signal = 64
)

// realtimeByName parses SIGRTMIN, SIGRTMIN+n, SIGRTMAX-n and SIGRTMAX.
func realtimeByName(name string) (syscall.Signal, bool) {
	base, sign, rest := sigRTMin, 1, ""
	switch {
	case strings.HasPrefix(name, "SIGRTMIN"):
		rest = name[len("SIGRTMIN"):]
	case strings.HasPrefix(name, "SIGRTMAX"):
		base, sign, rest = sigRTMax, -1, name[len("SIGRTMAX"):]
	default:
		return 0, false
	}
	if rest == "" {
		return base, true
	}
	op := "+"
	if sign < 0 {
		op = "-"
	}
	digits, ok := strings.CutPrefix(rest, op)
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n < 0 || digits[0] == '+' || digits[0] == '-' {
		return 0, false
	}
	sig := base + syscall.Signal(sign*n)
	if sig < sigRTMin || sig > sigRTMax {
		return 0, false
	}
	return sig, true
}

// realtimeName names a real-time signal SIGRTMIN+n.
func realtimeName(sig syscall.Signal) (string, bool) {
	switch {
	case sig == sigRTMin:
		return "SIGRTMIN", true
	case sig > sigRTMin && sig <= sigRTMax:
		return "SIGRTMIN+" + strconv.Itoa(int(sig-sigRTMin)), true
	}
	return "", false
}
