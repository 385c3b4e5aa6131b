//go:build linux

package ipc

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor"
)

// An attack on a real endpoint: a process of another uid (65534) connects
// to a socket whose mode and directory let it in. By default the endpoint
// refuses it at accept with one error line, counts it and audits it; a
// config that admits its uid but grants it reads only lets it read and
// refuses its command.
func TestEndpointPeerOfAnotherUID(t *testing.T) {
	dir, exe := sharedDir(t)
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{}})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "end"})
	for i, c := range []struct {
		cfg        Config
		line, want string
	}{
		{Config{}, `{"id":"1","method":"hello"}`, `"code":"peer_refused"`},
		{Config{AllowUIDs: []uint32{65534}, Grants: []Grant{{UIDs: []uint32{65534}, Classes: []Class{Read}}}},
			`{"id":"2","method":"state"}`, `"ok":true`},
		{Config{AllowUIDs: []uint32{65534}, Grants: []Grant{{UIDs: []uint32{65534}, Classes: []Class{Read}}}},
			`{"id":"3","method":"shutdown","params":{"command_id":"x","who":"n","why":"n","confirmed":true}}`, `"code":"forbidden"`},
	} {
		c.cfg.Path, c.cfg.Mode = filepath.Join(dir, "t.sock"), 0o666
		c.cfg.AuditFile = filepath.Join(dir, "audit"+string(rune('a'+i)))
		ep, err := Listen(tree, c.cfg, Wiring{})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := helper(t, exe, c.cfg.Path, nobody, c.line)
		stats := ep.stats()
		ep.Close()
		if !strings.Contains(out, c.want) {
			t.Fatalf("case %d: the client read %q, want %s", i, out, c.want)
		}
		if c.want == `"ok":true` {
			continue
		}
		b, _ := os.ReadFile(c.cfg.AuditFile)
		var rec auditRecord
		if err := json.Unmarshal(b, &rec); err != nil || rec.UID != 65534 || rec.Decision != "denied" {
			t.Fatalf("case %d: audit %q (%v), want a denial of uid 65534", i, b, err)
		}
		if stats.Refused+stats.Denied == 0 {
			t.Fatalf("case %d: nothing counted: %+v", i, stats)
		}
	}
	select {
	case <-tree.Done():
		t.Fatal("the tree was shut down by a forbidden command")
	default:
	}
}
