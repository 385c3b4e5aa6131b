// Package goroutines reads the runtime's goroutine profile and groups the
// goroutines that carry a given pprof label. Go cannot kill a goroutine, but
// every goroutine a supervised child starts inherits the child's label, so a
// supervisor can list what an abandoned child left running, with stacks.
package goroutines

import (
	"bufio"
	"bytes"
	"runtime/pprof"
	"strconv"
	"strings"
)

// Group is a set of goroutines with the same stack and the same label value.
type Group struct {
	// Count is the number of goroutines in the group.
	Count int
	// Label is the value of the requested label key.
	Label string
	// Stack is the symbolized stack, one "function file:line" frame per line,
	// innermost first.
	Stack string
}

// Capture takes a goroutine profile and returns the groups whose label key
// has a value accepted by match. The goroutine calling Capture is included if
// it carries a matching label.
func Capture(key string, match func(value string) bool) []Group {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	return parse(buf.Bytes(), key, match)
}

// Count returns the number of goroutines whose label key has a value accepted
// by match.
func Count(key string, match func(value string) bool) int {
	n := 0
	for _, g := range Capture(key, match) {
		n += g.Count
	}
	return n
}

// parse reads the debug=1 text form of the goroutine profile:
//
//	2 @ 0x47d92e 0x480b25
//	# labels: {"k":"v"}
//	#	0x480b24	time.Sleep+0x164	/usr/local/go/src/runtime/time.go:363
//
// Records are separated by blank lines.
func parse(profile []byte, key string, match func(string) bool) []Group {
	var out []Group
	sc := bufio.NewScanner(bytes.NewReader(profile))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var (
		cur    Group
		inRec  bool
		ok     bool
		frames strings.Builder
	)
	flush := func() {
		// A record without frames is a goroutine being created or torn
		// down: it is not running anything.
		if inRec && ok && frames.Len() > 0 {
			cur.Stack = strings.TrimRight(frames.String(), "\n")
			out = append(out, cur)
		}
		inRec, ok = false, false
		cur = Group{}
		frames.Reset()
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case !inRec:
			count, rest, found := strings.Cut(line, " @ ")
			if !found || rest == "" {
				continue // the "goroutine profile: total N" header
			}
			n, err := strconv.Atoi(count)
			if err != nil {
				continue
			}
			inRec = true
			cur.Count = n
		case strings.HasPrefix(line, "# labels: "):
			if v, found := labelValue(line[len("# labels: "):], key); found && match(v) {
				cur.Label = v
				ok = true
			}
		case strings.HasPrefix(line, "#\t"):
			// "#\t0xPC\tfunc+0xoff\tfile:line"
			fields := strings.Split(line[2:], "\t")
			if len(fields) >= 3 {
				fn := fields[1]
				if i := strings.LastIndex(fn, "+0x"); i > 0 {
					fn = fn[:i]
				}
				frames.WriteString(fn)
				frames.WriteByte(' ')
				frames.WriteString(strings.TrimSpace(fields[len(fields)-1]))
				frames.WriteByte('\n')
			}
		}
	}
	flush()
	return out
}

// labelValue finds key in a label set printed as {"k1":"v1", "k2":"v2"},
// where keys and values are Go-quoted strings.
func labelValue(set, key string) (string, bool) {
	set = strings.TrimPrefix(strings.TrimSpace(set), "{")
	set = strings.TrimSuffix(set, "}")
	for len(set) > 0 {
		set = strings.TrimLeft(set, ", ")
		k, rest, ok := unquotePrefix(set)
		if !ok || !strings.HasPrefix(rest, ":") {
			return "", false
		}
		v, rest2, ok := unquotePrefix(rest[1:])
		if !ok {
			return "", false
		}
		if k == key {
			return v, true
		}
		set = rest2
	}
	return "", false
}

// unquotePrefix unquotes the Go string literal at the start of s and returns
// it with the rest of s.
func unquotePrefix(s string) (string, string, bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", s, false
	}
	return v, s[len(q):], true
}
