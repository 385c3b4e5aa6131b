//go:build linux

package process_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// References resolve from Lookup, the supervisor's environment, defaults
// and files; values from the environment and files are secrets, masked in
// every log record and error even when the program prints them.
func TestEnv(t *testing.T) {
	const (
		envSecret  = "env-secret-456"
		fileSecret = "file-secret-123"
		osSecret   = "os-secret-789"
	)
	t.Setenv("PROCESS_TEST_OS", osSecret)
	t.Setenv("PROCESS_TEST_INHERITED", "inherited")
	secretFile := tempFile(t, "secret")
	if err := os.WriteFile(secretFile, []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := tempFile(t, "out")
	log, buf := newLogger()
	cmd := sh(`printf '%s|%s|%s|%s|%s|%s|%s|%s' "$A" "$B" "$C" "$D" "$E" "$F" "$G" "${PROCESS_TEST_INHERITED:-clean}" > ` + out + `
echo "leak: $A $C $F"; echo "short: $G"; echo "$C" >&2; exit 4`)
	cmd.Env = []string{
		"A=${TOKEN}", "B=${UNSET:-fallback}", "C=${file:" + secretFile + "}", "D=cost $$5",
		"E=pre-${TOKEN}-post", "F=${OS}", "G=${SHORT}", "B=${EMPTY:-last wins}",
	}
	cmd.Lookup = func(name string) (string, bool) {
		switch name {
		case "TOKEN":
			return envSecret, true
		case "EMPTY":
			return "", true
		case "SHORT":
			return "abc", true // shorter than MinSecretLen: not masked
		case "OS":
			return os.LookupEnv("PROCESS_TEST_OS")
		}
		return "", false
	}
	cmd.Logger = log
	cmd.CleanEnv = true
	child := cmd.Child("env")
	child.Restart = supervisor.Temporary
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{child}, Logger: log})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	ev := waitEvent(t, rec, supervisortest.Exited("/env", supervisor.ExitAbnormal))

	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{envSecret, "last wins", fileSecret, "cost $5", "pre-" + envSecret + "-post", osSecret, "abc", "clean"}, "|")
	if string(got) != want {
		t.Errorf("the program saw %q, want %q", got, want)
	}
	if _, err := tree.Shutdown(ctxTimeout(t), audit); err != nil {
		t.Fatal(err)
	}
	e := exitErr(t, ev.Err)
	if e.Stderr != process.Masked {
		t.Errorf("ExitError.Stderr %q, want %q", e.Stderr, process.Masked)
	}
	logged := buf.String()
	for _, s := range []string{envSecret, fileSecret, osSecret} {
		if strings.Contains(logged, s) {
			t.Errorf("secret %q logged:\n%s", s, logged)
		}
		if strings.Contains(e.Error(), s) {
			t.Errorf("secret %q in the error %q", s, e.Error())
		}
	}
	for _, msg := range []string{"leak: *** *** ***", "short: abc"} {
		if _, ok := buf.find(t, func(m string) bool { return m == msg }); !ok {
			t.Errorf("no record %q in:\n%s", msg, logged)
		}
	}
}

// A missing required reference fails the start before the program runs,
// with errors naming the references, never a value.
func TestEnvMissing(t *testing.T) {
	marker := tempFile(t, "started")
	log, buf := newLogger()
	cmd := sh("touch " + marker)
	cmd.Env = []string{"DB=${DB_PASSWORD}", "KEY=x${file:/nonexistent/secret}", "OK=${ALSO_UNSET:-fine}", "SET=${PRESENT}"}
	cmd.Lookup = func(name string) (string, bool) {
		if name == "PRESENT" {
			return "present-value", true
		}
		return "", false
	}
	cmd.Logger = log
	_, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{cmd.Child("db")}, Logger: log})
	var se *supervisor.StartError
	if !errors.As(err, &se) || se.Path != "/db" {
		t.Fatalf("Start: %v (%T), want a *supervisor.StartError for /db", err, err)
	}
	var ee *process.EnvError
	if !errors.As(err, &ee) || ee.Key != "DB" || ee.Ref != "${DB_PASSWORD}" || !errors.Is(ee, process.ErrNotSet) {
		t.Errorf("EnvError %+v, want DB, ${DB_PASSWORD}, ErrNotSet", ee)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist for the missing file", err)
	}
	for _, s := range []string{"env DB: ${DB_PASSWORD}: not set", "env KEY: ${file:/nonexistent/secret}: open /nonexistent/secret"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "present-value") || strings.Contains(buf.String(), "present-value") {
		t.Errorf("a resolved value leaked: %v\n%s", err, buf)
	}
	if _, err := os.Stat(marker); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the program ran: %v", err)
	}
}
