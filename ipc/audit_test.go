package ipc

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readAudit returns the audit file's lines, each decoded.
func readAudit(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	s := bufio.NewScanner(f)
	for s.Scan() {
		var m map[string]any
		if err := json.Unmarshal(s.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", s.Text(), err)
		}
		recs = append(recs, m)
	}
	return recs
}

// TestAuditAppend appends records, closes and reopens the file, appends
// again, and reads every record back with its keys.
func TestAuditAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.sock.audit")
	at := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	denied := auditRecord{Time: at, UID: 1000, GID: 1000, PID: 42, Method: "shutdown",
		Decision: auditDenied, Code: "forbidden"}
	allowed := auditRecord{Time: at, UID: 1000, GID: 100, PID: 43, Who: "ana", Why: "stuck",
		Method: "restart", Path: "/workers/w1", CommandID: "c1", Decision: auditAllowed}
	ran := allowed
	ran.Result = auditOK
	a := openAudit(path)
	for _, r := range []auditRecord{denied, allowed} {
		if err := a.append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = openAudit(path)
	defer a.Close()
	if err := a.append(ran); err != nil {
		t.Fatal(err)
	}
	recs := readAudit(t, path)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	keys := []string{"client", "code", "command_id", "decision", "gid", "method", "path", "pid", "result", "time", "uid", "who", "why"}
	for i, r := range recs {
		got := make([]string, 0, len(r))
		for k := range r {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, keys) {
			t.Errorf("record %d has keys %v, want %v", i, got, keys)
		}
		if r["time"] != "2025-01-02T03:04:05.123456789Z" {
			t.Errorf("record %d: time %v", i, r["time"])
		}
	}
	if recs[0]["decision"] != "denied" || recs[0]["code"] != "forbidden" || recs[0]["uid"] != 1000.0 {
		t.Errorf("the denial: %v", recs[0])
	}
	if recs[2]["who"] != "ana" || recs[2]["result"] != "ok" || recs[2]["path"] != "/workers/w1" {
		t.Errorf("the result: %v", recs[2])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode: %v, %v; want 0600", fi.Mode(), err)
	}
	if a.failures() != 0 {
		t.Errorf("%d failures", a.failures())
	}
}

// TestAuditDirectoryAtPath is an attack on C7: a directory where the
// audit file should be. Every append fails and is counted, and the
// message says what to fix; once the directory is gone, appends work
// again, without reopening the log.
func TestAuditDirectoryAtPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	a := openAudit(path)
	defer a.Close()
	for i := range 3 {
		err := a.append(auditRecord{Method: "restart", Decision: auditAllowed})
		if err == nil || !errors.Is(err, syscall.EISDIR) || !strings.Contains(err.Error(), "ipc: audit_file") {
			t.Errorf("append %d: %v", i, err)
		}
	}
	if a.failures() != 3 {
		t.Errorf("failures = %d, want 3", a.failures())
	}
	os.Remove(path)
	if err := a.append(auditRecord{Method: "restart", Decision: auditAllowed}); err != nil {
		t.Fatalf("after the directory was removed: %v", err)
	}
	if recs := readAudit(t, path); len(recs) != 1 || a.failures() != 3 {
		t.Errorf("%d records, %d failures; want 1, 3", len(recs), a.failures())
	}
}

// TestAuditDiskFull is an attack on C7: the audit file is a full device
// (/dev/full, every write fails with ENOSPC).
func TestAuditDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	a := openAudit("/dev/full")
	defer a.Close()
	for range 2 {
		if err := a.append(auditRecord{Method: "shutdown", Decision: auditAllowed}); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("append: %v, want ENOSPC", err)
		}
	}
	if a.failures() != 2 {
		t.Errorf("failures = %d, want 2", a.failures())
	}
}

// TestAuditClosed checks that an append after Close fails and counts.
func TestAuditClosed(t *testing.T) {
	a := openAudit(filepath.Join(t.TempDir(), "audit"))
	a.Close()
	if err := a.append(auditRecord{}); err == nil || a.failures() != 1 {
		t.Errorf("append after Close: %v, %d failures", err, a.failures())
	}
}

// TestAuditConcurrent appends from many goroutines and checks that every
// record is a whole line.
func TestAuditConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit")
	a := openAudit(path)
	defer a.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				r := auditRecord{Time: time.Now(), UID: uint32(g), PID: int32(i), Why: strings.Repeat("w", 1000), Decision: auditAllowed}
				if err := a.append(r); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if recs := readAudit(t, path); len(recs) != 200 {
		t.Errorf("%d records, want 200", len(recs))
	}
}
