package config

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
)

// Loader loads config files with the settings a program gives them. The
// zero Loader loads files whose children are exec and supervisor children
// only (it has no registry), logging programs' output to slog.Default().
type Loader struct {
	// Registry names the functions and errors files may refer to. Nil is
	// an empty registry.
	Registry *Registry
	// Logger receives the output of exec children, one record per line,
	// and the reports of their kills. Nil means slog.Default(). The tree's
	// own event log is Spec.Logger, which the program sets on the loaded
	// spec if it wants one.
	Logger *slog.Logger
	// Lookup resolves the ${NAME} references in exec children's env, when
	// each program starts. Nil means os.LookupEnv.
	Lookup func(name string) (string, bool)
}

// Load reads the config file at path and returns the spec it describes,
// ready for supervisor.Start. A file that cannot be read is an error
// wrapping the *fs.PathError; a file with problems is an *Error listing all
// of them.
func (l *Loader) Load(path string) (supervisor.Spec, error) {
	spec, _, err := l.LoadAll(path)
	return spec, err
}

// Parse returns the spec the YAML document data describes. filename names
// it in errors; it may be empty. Any problem makes an *Error listing every
// problem in data, sorted by position, and a zero Spec.
func (l *Loader) Parse(data []byte, filename string) (supervisor.Spec, error) {
	spec, _, err := l.ParseAll(data, filename)
	return spec, err
}

// Settings are what a config file sets beside its tree.
type Settings struct {
	// IPC is the config of the tree's IPC endpoint (the ipc section), for
	// ipc.Listen; nil if the file has none.
	IPC *ipc.Config
}

// LoadAll reads the config file at path as Load does, and returns its
// settings too.
func (l *Loader) LoadAll(path string) (supervisor.Spec, Settings, error) {
	f, err := os.Open(path)
	if err != nil {
		return supervisor.Spec{}, Settings{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	// Past the size limit Parse reads no further: neither does Load.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return supervisor.Spec{}, Settings{}, fmt.Errorf("config: %w", err)
	}
	return l.ParseAll(data, path)
}

// ParseAll returns the spec and the settings the YAML document data
// describes, as Parse does.
func (l *Loader) ParseAll(data []byte, filename string) (supervisor.Spec, Settings, error) {
	r, problems := l.decode(data)
	if problems != nil {
		return supervisor.Spec{}, Settings{}, &Error{File: filename, Problems: problems}
	}
	return r.spec, r.settings, nil
}

// decoded is what a document decodes to: its document types, with their
// keys' positions, and the spec and settings they make.
type decoded struct {
	d        *decoder
	doc      *File
	spec     supervisor.Spec
	settings Settings
}

// decode decodes the YAML document data, or returns its problems, sorted.
func (l *Loader) decode(data []byte) (decoded, []Problem) {
	// A byte order mark, which some editors write, is not a key.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if p := checkLimits(data); p != nil { // before the parser, whose cost they bound
		return decoded{}, []Problem{*p}
	}
	r := decoded{d: newDecoder()}
	r.doc = r.d.parseFile(data)
	c := converter{decoder: r.d, reg: l.Registry, logger: l.Logger, lookup: l.Lookup}
	if r.doc != nil && !r.d.tooBig { // a file too big to decode says no more
		r.spec = c.file(r.doc)
	}
	if len(r.d.problems) > 0 {
		return decoded{}, r.d.finish()
	}
	r.settings = c.settings
	return r, nil
}

// Load reads the config file at path with the functions and errors of reg,
// which may be nil; see Loader.Load.
func Load(path string, reg *Registry) (supervisor.Spec, error) {
	return (&Loader{Registry: reg}).Load(path)
}

// Parse returns the spec the YAML document data describes, with the
// functions and errors of reg, which may be nil; see Loader.Parse.
func Parse(data []byte, filename string, reg *Registry) (supervisor.Spec, error) {
	return (&Loader{Registry: reg}).Parse(data, filename)
}
