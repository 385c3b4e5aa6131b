package process

import "syscall"

// The signals syscall defines on Windows, where Run is unsupported but
// configurations are still parsed.
var signals = []struct {
	name string
	sig  syscall.Signal
}{
	{"SIGHUP", syscall.SIGHUP}, {"SIGINT", syscall.SIGINT}, {"SIGQUIT", syscall.SIGQUIT},
	{"SIGILL", syscall.SIGILL}, {"SIGTRAP", syscall.SIGTRAP}, {"SIGABRT", syscall.SIGABRT},
	{"SIGBUS", syscall.SIGBUS}, {"SIGFPE", syscall.SIGFPE}, {"SIGKILL", syscall.SIGKILL},
	{"SIGSEGV", syscall.SIGSEGV}, {"SIGPIPE", syscall.SIGPIPE}, {"SIGALRM", syscall.SIGALRM},
	{"SIGTERM", syscall.SIGTERM},
}

func signalByName(name string) (syscall.Signal, bool) {
	for _, s := range signals {
		if s.name == name {
			return s.sig, true
		}
	}
	return 0, false
}

func signalName(sig syscall.Signal) (string, bool) {
	for _, s := range signals {
		if s.sig == sig {
			return s.name, true
		}
	}
	return "", false
}

// sigStop: Windows has no SIGSTOP.
const sigStop syscall.Signal = -1
