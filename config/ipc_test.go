package config_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/ipc"
)

// The ipc section becomes the endpoint's config; a file without one has
// none.
func TestIPCSection(t *testing.T) {
	data := []byte(`children: []
ipc:
  path: /run/shop.sock
  bind_mode: replace_stale
  mode: "0660"
  target_id: shop
  allow_uids: [1000, 1001]
  allow_gids: [50]
  grants:
    - {uids: [1001], classes: [read]}
  max_line: 1MiB
  rate: 10.5
  burst: 20
  max_connections: 8
  idle_timeout: 1m
  write_timeout: 2s
  queue_size: 100
  slow_limit: 5s
  audit_file: /var/log/shop.audit
  command_ttl: 1h
  exec_allow: [/usr/bin/worker]
`)
	_, settings, err := (&config.Loader{}).ParseAll(data, "ipc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &ipc.Config{Path: "/run/shop.sock", BindMode: ipc.ReplaceStale, Mode: 0o660, TargetID: "shop",
		AllowUIDs: []uint32{1000, 1001}, AllowGIDs: []uint32{50},
		Grants:  []ipc.Grant{{UIDs: []uint32{1001}, Classes: []ipc.Class{ipc.Read}}},
		MaxLine: 1 << 20, Rate: 10.5, Burst: 20, MaxConns: 8, IdleTimeout: time.Minute, WriteTimeout: 2 * time.Second,
		QueueSize: 100, SlowLimit: 5 * time.Second, AuditFile: "/var/log/shop.audit", CommandTTL: time.Hour,
		ExecAllow: []string{"/usr/bin/worker"}}
	if !reflect.DeepEqual(settings.IPC, want) {
		t.Fatalf("got  %+v\nwant %+v", settings.IPC, want)
	}
	_, settings, err = (&config.Loader{}).ParseAll([]byte("children: []\n"), "none.yaml")
	if err != nil || settings.IPC != nil {
		t.Fatalf("a file without ipc: %+v, %v", settings.IPC, err)
	}
}
