package configgen

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// The template's width, and the keys it sets (the rest are commented
// out): a minimal tree, one program run and restarted forever. Item paths
// are written key[].
const width = 78

var live = map[string]any{
	"children":              nil,
	"children[].name":       "app",
	"children[].exec":       nil,
	"children[].exec.path":  "sleep",
	"children[].exec.args":  []any{"infinity"},
	"children[].exec.ready": nil, // commented out: see below
}

// liveKeys are the keys of live set in the template (a ready check would
// hold the tree's start for a program that prints nothing).
func isLive(path string) bool {
	_, ok := live[path]
	return ok && path != "children[].exec.ready"
}

// short is how the template writes a definition that would repeat the
// whole file: a nested supervisor.
var short = map[string]string{"Supervisor": "{children: []}"}

const header = `# go-supervisor config file: every key, with its default.
#
# Generated from the document types of package config by go generate
# ./config/: do not edit. docs/config.md describes the format, and
# config/schema.json is its JSON Schema, for editors.
#
# A line that starts with "#" and no space is a key left out: remove the "#"
# (and the "#" of the lines of its block) to set it. A key left out takes
# its default: for a child, its own key wins, then its role's, then its
# supervisor's defaults, then the built-in value shown.
#
# What is not commented out is a minimal tree: one program, run and
# restarted if it exits.

`

// Template renders the schema as a commented YAML file: every key, with
// its description, its default (or an example, for keys without one), and
// a minimal tree set.
func Template(s *jsonschema.Schema) ([]byte, error) {
	w := &writer{defs: s.Definitions}
	w.b.WriteString(header)
	keys := slices.Collect(s.Properties.KeysFromOldest())
	// children last: the tree's settings first, then the tree.
	i := slices.Index(keys, "children")
	keys = append(slices.Delete(keys, i, i+1), "children")
	for _, k := range keys {
		p, _ := s.Properties.Get(k)
		w.key(k, k, p, 0, -1, false)
		w.b.WriteByte('\n')
	}
	if w.err != nil {
		return nil, w.err
	}
	return []byte(strings.TrimRight(w.b.String(), "\n") + "\n"), nil
}

type writer struct {
	b    strings.Builder
	defs jsonschema.Definitions
	err  error
}

// line writes text at column col; within a commented-out block (cm >= 0)
// the line starts with "#" at column cm.
func (w *writer) line(col, cm int, text string) {
	if cm < 0 {
		w.b.WriteString(strings.Repeat(" ", col))
	} else {
		w.b.WriteString(strings.Repeat(" ", cm) + "#" + strings.Repeat(" ", col-cm))
	}
	w.b.WriteString(text)
	w.b.WriteByte('\n')
}

// prose writes a description as comment lines at col, wrapped.
func (w *writer) prose(col, cm int, text string) {
	limit := max(width-col-2, 40)
	if cm >= 0 {
		limit = max(width-col-3, 40)
	}
	var line string
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > limit {
			w.line(col, cm, "# "+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		w.line(col, cm, "# "+line)
	}
}

func (w *writer) resolve(p *jsonschema.Schema) (*jsonschema.Schema, string) {
	if p.Ref == "" {
		return p, ""
	}
	name := strings.TrimPrefix(p.Ref, "#/$defs/")
	d, ok := w.defs[name]
	if !ok {
		w.fail("no definition %s", p.Ref)
		return p, ""
	}
	return d, name
}

func (w *writer) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("configgen: template: "+format, args...)
	}
}

// key writes the key name (its path is path) with the schema p at column
// col, after "- " if dash. cm is the column of the "#" of the
// commented-out block it is in, or -1.
func (w *writer) key(path, name string, p *jsonschema.Schema, col, cm int, dash bool) {
	d, defName := w.resolve(p)
	desc := p.Description
	if desc == "" {
		desc = d.Description
	}
	keyCol := col
	if dash {
		keyCol = col - 2
	}
	// The description comes before the key; a key that starts a
	// commented-out block has it as plain comment lines above the block.
	if cm < 0 && !isLive(path) {
		w.prose(keyCol, -1, desc)
		cm = keyCol
	} else {
		w.prose(keyCol, cm, desc)
	}
	lead := name + ":"
	if dash {
		lead = "- " + lead
	}
	if s, ok := short[defName]; ok {
		w.line(keyCol, cm, lead+" "+s)
		return
	}
	switch {
	case d.Type == "object" && d.Properties != nil && d.Properties.Len() > 0:
		w.line(keyCol, cm, lead)
		for k, sub := range d.Properties.FromOldest() {
			w.key(path+"."+k, k, sub, col+2, cm, false)
		}
	case d.Type == "array" && d.Items != nil:
		items, _ := w.resolve(d.Items)
		if items.Type != "object" {
			w.line(keyCol, cm, lead+" "+w.value(path, p, d))
			return
		}
		w.line(keyCol, cm, lead)
		first := true
		for k, sub := range items.Properties.FromOldest() {
			w.key(path+"[]."+k, k, sub, col+4, cm, first)
			first = false
		}
	case d.Type == "object": // a map: its example entries
		w.line(keyCol, cm, lead)
		ex := example(p, d)
		m, ok := ex.(map[string]any)
		if !ok {
			w.fail("%s: a map needs an example", path)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			w.line(col+2, cm, k+": "+scalar(m[k]))
		}
	default:
		w.line(keyCol, cm, lead+" "+w.value(path, p, d))
	}
}

// value returns a scalar's (or a list of scalars') value in YAML: the live
// value, the default, or an example.
func (w *writer) value(path string, p, d *jsonschema.Schema) string {
	v, ok := live[path]
	if !ok || v == nil {
		v = example(p, d)
	}
	if v == nil {
		w.fail("%s has neither a default nor an example", path)
		return ""
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, x := range l {
			parts[i] = scalar(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return scalar(v)
}

// example returns p's default, or its first example, looking into d (its
// definition), into the items of an array and into oneOf.
func example(p, d *jsonschema.Schema) any {
	for _, s := range []*jsonschema.Schema{p, d} {
		if s.Default != nil {
			return s.Default
		}
		if len(s.Examples) > 0 {
			if s.Type == "array" {
				return s.Examples
			}
			return s.Examples[0]
		}
	}
	if d.Type == "array" && d.Items != nil && len(d.Items.Examples) > 0 {
		return d.Items.Examples
	}
	return nil
}

var plain = regexp.MustCompile(`^[A-Za-z0-9/_][A-Za-z0-9_./@ -]*$`)

var reserved = map[string]bool{
	"true": true, "false": true, "null": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true, "~": true,
}

// scalar writes a value as a YAML scalar: plain when it cannot be read as
// anything else, quoted otherwise.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		_, err := strconv.ParseFloat(x, 64)
		number := err == nil || strings.HasPrefix(x, "0")
		if plain.MatchString(x) && !strings.HasSuffix(x, " ") && !reserved[strings.ToLower(x)] && (!number || isDuration(x)) {
			return x
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

var durationRE = regexp.MustCompile("^" + durationPattern + "$")

func isDuration(s string) bool { return durationRE.MatchString(s) }
