package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrNotSet is the cause of an *EnvError whose ${NAME} reference names a
// variable that is not set.
var ErrNotSet = errors.New("not set in the supervisor's environment")

// maxFileRef bounds what a ${file:...} reference reads.
const maxFileRef = 1 << 20

// EnvError reports an Env reference that could not be resolved when the
// program was about to start. It names the entry and the reference, never a
// value.
type EnvError struct {
	// Key is the entry's KEY.
	Key string
	// Ref is the reference as written, such as "${DB_PASSWORD}" or
	// "${file:/run/secrets/db}".
	Ref string
	// Err is why: ErrNotSet for a variable, the error reading a file
	// (test it with errors.Is(err, fs.ErrNotExist)), or a value that no
	// environment can hold.
	Err error
}

func (e *EnvError) Error() string {
	return fmt.Sprintf("process: env %s: %s: %v", e.Key, e.Ref, e.Err)
}

// Unwrap returns the cause.
func (e *EnvError) Unwrap() error { return e.Err }

// envEntry is one parsed Env entry.
type envEntry struct {
	key    string
	pieces []piece
}

// piece is literal text or a reference.
type piece struct {
	lit string
	ref *reference
}

// reference is a ${...} in an Env value.
type reference struct {
	file   bool   // ${file:path}
	name   string // the variable's name, or the file's path
	def    string // the default of ${NAME:-default}
	hasDef bool
	text   string // as written
}

// envProblem says what is wrong with an Env entry.
type envProblem struct {
	key string // "" if the entry has no key
	msg string
}

// parseEnv parses an Env entry, or says what is wrong with it. A problem
// never quotes the value, which may hold a secret written in clear.
func parseEnv(entry string) (envEntry, *envProblem) {
	key, value, ok := strings.Cut(entry, "=")
	switch {
	case !ok:
		return envEntry{}, &envProblem{msg: `has no "=": write KEY=VALUE`}
	case key == "":
		return envEntry{}, &envProblem{msg: "has an empty KEY: write KEY=VALUE"}
	case strings.IndexByte(key, 0) >= 0:
		return envEntry{}, &envProblem{msg: "has a NUL byte in its KEY, which no environment can hold: remove it"}
	case strings.IndexByte(value, 0) >= 0:
		return envEntry{}, &envProblem{key: key, msg: "has a NUL byte in its value, which no environment can hold: remove it"}
	}
	pieces, msg := parseValue(value)
	if msg != "" {
		return envEntry{}, &envProblem{key: key, msg: msg}
	}
	return envEntry{key: key, pieces: pieces}, nil
}

// parseValue splits an Env value into literal text and references, or says
// what is wrong with it.
func parseValue(v string) ([]piece, string) {
	var (
		pieces []piece
		lit    strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			pieces = append(pieces, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(v); {
		j := strings.IndexByte(v[i:], '$')
		if j < 0 {
			lit.WriteString(v[i:])
			break
		}
		lit.WriteString(v[i : i+j])
		i += j
		switch {
		case strings.HasPrefix(v[i:], "$$"):
			lit.WriteByte('$')
			i += 2
			continue
		case !strings.HasPrefix(v[i:], "${"):
			return nil, fmt.Sprintf(`has a lone "$" at byte %d of its value: write ${NAME} for a reference, or $$ for a literal $`, i)
		}
		end := strings.IndexByte(v[i:], '}')
		if end < 0 {
			return nil, fmt.Sprintf(`has a reference at byte %d of its value with no closing "}": close it`, i)
		}
		text := v[i : i+end+1]
		r, msg := parseRef(text)
		if msg != "" {
			return nil, fmt.Sprintf("has a reference at byte %d of its value that %s", i, msg)
		}
		flush()
		pieces = append(pieces, piece{ref: r})
		i += end + 1
	}
	flush()
	return pieces, ""
}

// parseRef parses one "${...}", or says what is wrong with it.
func parseRef(text string) (*reference, string) {
	inner := text[2 : len(text)-1]
	if path, ok := strings.CutPrefix(inner, "file:"); ok && !strings.HasPrefix(path, "-") {
		if path == "" {
			return nil, "names no file: write ${file:/path}"
		}
		return &reference{file: true, name: path, text: text}, ""
	}
	if inner == "" {
		return nil, "is empty: write ${NAME}, ${NAME:-default} or ${file:/path}"
	}
	n := 0
	for n < len(inner) && isNameByte(inner[n], n == 0) {
		n++
	}
	if n == 0 {
		return nil, "does not start with a variable name: write ${NAME}, ${NAME:-default} or ${file:/path}; " +
			"a NAME is letters, digits and '_', not starting with a digit"
	}
	r := &reference{name: inner[:n], text: text}
	switch rest := inner[n:]; {
	case rest == "":
	case strings.HasPrefix(rest, ":-"):
		r.def, r.hasDef = rest[2:], true
	default:
		return nil, `has something other than "}" or ":-" after its name: write ${NAME} or ${NAME:-default}, ` +
			"where a NAME is letters, digits and '_'"
	}
	return r, ""
}

func isNameByte(b byte, first bool) bool {
	return b == '_' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || !first && b >= '0' && b <= '9'
}

// environ returns the program's environment and a redactor for the secrets
// resolved into it. The Env entries must be valid.
func (c *Command) environ() ([]string, *redactor, error) {
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var env []string
	if !c.CleanEnv {
		env = os.Environ()
	}
	var (
		secrets []string
		errs    []error
	)
	for _, entry := range c.Env {
		e, p := parseEnv(entry)
		if p != nil {
			// Validate ran first; this is a bug, not the caller's problem.
			panic("process: environ on an invalid entry: " + p.msg)
		}
		var b strings.Builder
		b.WriteString(e.key)
		b.WriteByte('=')
		for _, pc := range e.pieces {
			if pc.ref == nil {
				b.WriteString(pc.lit)
				continue
			}
			v, secret, err := resolve(pc.ref, lookup)
			if err == nil && strings.IndexByte(v, 0) >= 0 {
				err = errors.New("the value has a NUL byte, which no environment can hold")
			}
			if err != nil {
				errs = append(errs, &EnvError{Key: e.key, Ref: pc.ref.text, Err: err})
				continue
			}
			if secret {
				secrets = append(secrets, v)
			}
			b.WriteString(v)
		}
		env = append(env, b.String())
	}
	if len(errs) == 1 {
		return nil, nil, errs[0]
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return env, newRedactor(secrets), nil
}

// resolve returns the value of r, and whether it is a secret: whether it
// came from the environment or a file rather than from a default.
func resolve(r *reference, lookup func(string) (string, bool)) (string, bool, error) {
	if r.file {
		v, err := readRef(r.name)
		return v, true, err
	}
	v, ok := lookup(r.name)
	switch {
	case r.hasDef && (!ok || v == ""):
		return r.def, false, nil
	case !ok:
		return "", false, ErrNotSet
	}
	return v, true, nil
}

// readRef reads the file of a ${file:...} reference, without its trailing
// newline.
func readRef(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileRef+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxFileRef {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxFileRef)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t, nil
	}
	return strings.TrimSuffix(s, "\n"), nil
}
