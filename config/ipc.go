package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-supervisor/supervisor/ipc"
)

// IPC serves the tree on a Unix socket for operators' tools: supervisor
// ctl and the dashboard's relay (docs/ipc.md). Only the socket's owner may
// connect by default.
type IPC struct {
	// The socket's absolute path.
	Path string `yaml:"path,omitempty" json:"path,omitempty" jsonschema:"required,example=/run/shop/supervisor.sock"`
	// What to do when something is at the path: create_new refuses to
	// start; replace_stale replaces a dead socket of the same user (a live
	// socket, a symlink, a file and another user's socket are refused).
	// Default create_new.
	BindMode *ipc.BindMode `yaml:"bind_mode,omitempty" json:"bind_mode,omitempty" jsonschema:"enum=create_new,enum=replace_stale,default=create_new"`
	// The socket file's mode, in octal, applied as it is created. Default
	// 0600.
	Mode *FileMode `yaml:"mode,omitempty" json:"mode,omitempty" jsonschema:"type=string,pattern=^0?[0-7]{3}$,default=0600"`
	// Names the target to clients. Default: the tree's name.
	TargetID string `yaml:"target_id,omitempty" json:"target_id,omitempty" jsonschema:"example=shop"`
	// The uids that may connect. Default: the supervisor's own uid.
	AllowUIDs []int `yaml:"allow_uids,omitempty" json:"allow_uids,omitempty" jsonschema:"minimum=0,maximum=4294967294,example=1000"`
	// If set, a peer's gid must also be one of these.
	AllowGIDs []int `yaml:"allow_gids,omitempty" json:"allow_gids,omitempty" jsonschema:"minimum=0,maximum=4294967294,example=1000"`
	// Which classes of methods (read, write, destructive) which uids and
	// gids may call. Default: every peer that may connect may call every
	// method.
	Grants []IPCGrant `yaml:"grants,omitempty" json:"grants,omitempty"`
	// The longest request line, in bytes. Default 64KiB.
	MaxLine *Size `yaml:"max_line,omitempty" json:"max_line,omitempty" jsonschema:"default=64KiB"`
	// Each connection's requests a second, and bursts. Default 100 and
	// 200.
	Rate  *float64 `yaml:"rate,omitempty" json:"rate,omitempty" jsonschema:"minimum=0.001,maximum=1000000,default=100"`
	Burst *int     `yaml:"burst,omitempty" json:"burst,omitempty" jsonschema:"minimum=1,maximum=1000000,default=200"`
	// The most connections served at once. Default 1024.
	MaxConnections *int `yaml:"max_connections,omitempty" json:"max_connections,omitempty" jsonschema:"minimum=1,maximum=100000,default=1024"`
	// A connection that sends nothing and subscribes to nothing is closed
	// after idle_timeout; one that does not read what it is sent, after
	// write_timeout. Default 5m and 10s.
	IdleTimeout  *Duration `yaml:"idle_timeout,omitempty" json:"idle_timeout,omitempty" jsonschema:"default=5m"`
	WriteTimeout *Duration `yaml:"write_timeout,omitempty" json:"write_timeout,omitempty" jsonschema:"default=10s"`
	// Each subscription's queue, in records; a subscriber that keeps
	// missing records for slow_limit is disconnected. Default 4096 and
	// 30s.
	QueueSize *int      `yaml:"queue_size,omitempty" json:"queue_size,omitempty" jsonschema:"minimum=1,maximum=1048576,default=4096"`
	SlowLimit *Duration `yaml:"slow_limit,omitempty" json:"slow_limit,omitempty" jsonschema:"default=30s"`
	// The append-only audit file, synced before each command runs.
	// Default: the socket's path and .audit.
	AuditFile string `yaml:"audit_file,omitempty" json:"audit_file,omitempty" jsonschema:"example=/var/log/shop/ipc.audit"`
	// How long a command's result answers a repeat of its command id.
	// Default 10m.
	CommandTTL *Duration `yaml:"command_ttl,omitempty" json:"command_ttl,omitempty" jsonschema:"default=10m"`
	// The absolute paths of the programs a child added over IPC may run.
	// Default: none.
	ExecAllow []string `yaml:"exec_allow,omitempty" json:"exec_allow,omitempty" jsonschema:"example=/usr/bin/worker"`
	// The environment variables a child added over IPC may set, with
	// values as written (no ${...}). Default: none.
	ExecEnv []string `yaml:"exec_env,omitempty" json:"exec_env,omitempty" jsonschema:"example=WORKER_QUEUE"`
}

// IPCGrant allows the listed classes of methods to the peers whose uid is
// in uids or whose gid is in gids.
type IPCGrant struct {
	UIDs    []int       `yaml:"uids,omitempty" json:"uids,omitempty" jsonschema:"minimum=0,maximum=4294967294,example=1001"`
	GIDs    []int       `yaml:"gids,omitempty" json:"gids,omitempty" jsonschema:"minimum=0,maximum=4294967294,example=100"`
	Classes []ipc.Class `yaml:"classes,omitempty" json:"classes,omitempty" jsonschema:"required,minItems=1,example=read"`
}

// FileMode is a file's permission bits, written in octal: 0600, 0660.
type FileMode os.FileMode

// UnmarshalText reads an octal mode.
func (m *FileMode) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(string(b), 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("%q is not a file mode: write permission bits in octal, such as 0600 or 0660", b)
	}
	*m = FileMode(v)
	return nil
}

// MarshalText writes the mode in octal.
func (m FileMode) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("%04o", uint32(m))), nil }

// ipcConfig turns the ipc section into the endpoint's config.
func (c *converter) ipcConfig(x *IPC) *ipc.Config {
	cfg := &ipc.Config{Path: x.Path, TargetID: x.TargetID, AllowUIDs: ids(x.AllowUIDs), AllowGIDs: ids(x.AllowGIDs),
		AuditFile: x.AuditFile, ExecAllow: x.ExecAllow, ExecEnv: x.ExecEnv}
	if !filepath.IsAbs(x.Path) {
		c.check("ipc.path", "%q is not an absolute path: the socket's path starts with /, such as /run/shop/supervisor.sock", x.Path)
	}
	if x.AuditFile != "" && !filepath.IsAbs(x.AuditFile) {
		c.check("ipc.audit_file", "%q is not an absolute path: write the audit file's absolute path", x.AuditFile)
	}
	for i, p := range x.ExecAllow {
		if !filepath.IsAbs(p) {
			c.check(index("ipc.exec_allow", i), "%q is not an absolute path: programs are allowed by absolute path, such as /usr/bin/worker", p)
		}
	}
	for i, g := range x.Grants {
		if len(g.UIDs) == 0 && len(g.GIDs) == 0 {
			c.check(index("ipc.grants", i), "a grant names no one: give it uids or gids")
		}
		cfg.Grants = append(cfg.Grants, ipc.Grant{UIDs: ids(g.UIDs), GIDs: ids(g.GIDs), Classes: g.Classes})
	}
	c.ipcLimits(x, cfg)
	return cfg
}

// ipcLimits sets the endpoint's limits the ipc section gives.
func (c *converter) ipcLimits(x *IPC, cfg *ipc.Config) {
	if x.BindMode != nil {
		cfg.BindMode = *x.BindMode
	}
	if x.Mode != nil {
		cfg.Mode = os.FileMode(*x.Mode)
	}
	if x.MaxLine != nil {
		if *x.MaxLine < 256 || *x.MaxLine > 64<<20 {
			c.check("ipc.max_line", "%d bytes is out of range: a request line limit is 256B to 64MiB", *x.MaxLine)
		}
		cfg.MaxLine = int(min(*x.MaxLine, 64<<20))
	}
	set := func(dst *time.Duration, d *Duration, key string) {
		if d != nil {
			*dst = c.positive(d, "ipc."+key, "leave "+key+" out for its default")
		}
	}
	set(&cfg.IdleTimeout, x.IdleTimeout, "idle_timeout")
	set(&cfg.WriteTimeout, x.WriteTimeout, "write_timeout")
	set(&cfg.SlowLimit, x.SlowLimit, "slow_limit")
	set(&cfg.CommandTTL, x.CommandTTL, "command_ttl")
	if x.Rate != nil {
		if !(*x.Rate > 0) {
			c.check("ipc.rate", "%v is not a rate: write a positive number of requests a second, such as 100", *x.Rate)
		}
		cfg.Rate = *x.Rate
	}
	for dst, v := range map[*int]*int{&cfg.Burst: x.Burst, &cfg.MaxConns: x.MaxConnections, &cfg.QueueSize: x.QueueSize} {
		if v != nil {
			*dst = *v
		}
	}
}

// ids returns user or group ids, which the document types bound.
func ids(in []int) []uint32 {
	var out []uint32
	for _, id := range in {
		out = append(out, uint32(id))
	}
	return out
}
