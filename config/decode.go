package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/go-supervisor/supervisor"
)

// Limits on what a file may make the decoder do: aliases can make a small
// file expand to an exponential number of values (the "billion laughs"),
// and nest without end when one refers to a node it is part of. Without
// aliases a file has at most one value per byte; aliases may add
// maxExpansion values, and nothing may nest deeper than maxDepth.
const (
	maxExpansion = 100_000
	maxDepth     = 200
)

// decoder decodes a YAML AST into the document types strictly, collecting
// every problem instead of stopping at the first, and remembering where
// each key is so that later problems can be placed.
type decoder struct {
	pos      map[string]token.Position // key (or list item) path → its position
	borrowed map[string]bool           // paths in pos an alias or merge key brought in: their position is the anchor's
	problems []Problem                 // positions resolved by finish
	failed   map[string]bool           // paths whose value could not be decoded
	broken   map[string]bool           // paths with a failed path below them
	reported map[string]bool           // paths with a problem

	anchors   map[string][]*ast.AnchorNode
	expanding []*ast.AnchorNode // anchors whose alias is being decoded
	visits    int
	maxVisits int
	depth     int
	borrowing int // > 0 while decoding what an alias or merge key brings in
	tooBig    bool
	src       []byte // the file, for the lines problems are on
}

func newDecoder() *decoder {
	return &decoder{
		pos:      make(map[string]token.Position),
		borrowed: make(map[string]bool),
		failed:   make(map[string]bool),
		broken:   make(map[string]bool),
		reported: make(map[string]bool),
		anchors:  make(map[string][]*ast.AnchorNode),
	}
}

// problem records a problem at path; its position is found by finish.
// The message is escaped: it may echo any text of the file.
func (d *decoder) problem(path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Path: path, Message: escapeText(fmt.Sprintf(format, args...))})
	d.reported[path] = true
}

// problemAt records a problem at an explicit position.
func (d *decoder) problemAt(path string, p token.Position, format string, args ...any) {
	line, col := max(p.Line, 1), max(p.Column, 1)
	d.problems = append(d.problems, Problem{Path: path, Line: line, Column: col, Message: escapeText(fmt.Sprintf(format, args...))})
	d.reported[path] = true
}

// fail records a problem with the value at path, which is left unset, so
// that nothing is reported about what it contains.
func (d *decoder) fail(path, format string, args ...any) {
	d.problem(path, format, args...)
	d.markFailed(path)
}

// markFailed records that the value at path could not be decoded.
func (d *decoder) markFailed(path string) {
	d.failed[path] = true
	for p := path; p != ""; {
		p = parentPath(p)
		if d.broken[p] {
			break
		}
		d.broken[p] = true
	}
}

// suppressed reports whether a problem at path says nothing new: path, or
// a key that contains it, could not be decoded.
func (d *decoder) suppressed(path string) bool {
	for p := path; ; p = parentPath(p) {
		if d.failed[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// finish places every problem at its key, or at the nearest ancestor that
// is in the file, with the line it is on, and sorts them.
func (d *decoder) finish() []Problem {
	lines := strings.Split(string(d.src), "\n")
	for i := range d.problems {
		p := &d.problems[i]
		if p.Line == 0 {
			pos := d.position(p.Path)
			p.Line, p.Column = max(pos.Line, 1), max(pos.Column, 1)
		}
		if p.Line <= len(lines) {
			p.Source = lines[p.Line-1]
		}
	}
	return sortProblems(d.problems)
}

// setPos records the position of the key (or list item) at path.
func (d *decoder) setPos(path string, p token.Position) {
	d.pos[path] = p
	if d.borrowing > 0 {
		d.borrowed[path] = true
	}
}

func (d *decoder) position(path string) token.Position {
	for p := path; ; p = parentPath(p) {
		if pos, ok := d.pos[p]; ok {
			return pos
		}
		if p == "" {
			return token.Position{Line: 1, Column: 1}
		}
	}
}

// parentPath returns the path of the key or list that contains path:
// "a.b[2]" for "a.b[2].c", "a.b" for "a.b[2]", "" for "a", "a" for
// a."b.c" (a key quoted by keyText).
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	end := len(path)
	if strings.HasSuffix(path, `"`) {
		end = quoteStart(path)
	}
	if i := strings.LastIndexByte(path[:end], '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// quoteStart returns where the quoted key that ends path starts: the
// last quote before its closing one that no backslash escapes.
func quoteStart(path string) int {
	for i := len(path) - 2; i >= 0; i-- {
		if path[i] != '"' {
			continue
		}
		slashes := 0
		for j := i - 1; j >= 0 && path[j] == '\\'; j-- {
			slashes++
		}
		if slashes%2 == 0 {
			return i
		}
	}
	return len(path)
}

// join returns the path of key within path, quoting a key a message must
// not show as it is (see keyText).
func join(path, key string) string {
	if path == "" {
		return keyText(key)
	}
	return path + "." + keyText(key)
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// parseFile parses data into the root document, recording problems.
func (d *decoder) parseFile(data []byte) (doc *File) {
	doc = new(File)
	d.maxVisits = maxExpansion + len(data)
	if bytes.IndexByte(data, '\r') >= 0 {
		// YAML reads \r\n and a lone \r as \n, in scalars too; the parser
		// counts lines wrong after a comment that ends with \r\n.
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	d.src = data
	if !d.checkText(data) {
		return nil
	}
	f, err := parse(data)
	if err != nil {
		pos, msg := syntaxProblem(err, data)
		d.markFailed("")
		d.problemAt("", pos, "%s", msg)
		return nil
	}
	var body ast.Node
	for i, doc := range f.Docs {
		if doc == nil {
			continue
		}
		if i > 0 && doc.Body != nil {
			p := nodePos(doc.Body)
			if doc.Start != nil && doc.Start.Position != nil {
				p = *doc.Start.Position
			}
			d.problemAt("", p, "a config file holds one YAML document: remove this one, or the --- before it")
			continue
		}
		body = doc.Body
	}
	if body != nil {
		ast.Walk(anchorCollector(d.anchors), body)
		d.pos[""] = nodePos(body)
	}
	if n := d.resolve(body, ""); n == nil || isNull(n) {
		d.problem("children", missingChildren)
		d.markFailed("") // nothing else to say about an empty file
		return nil
	}
	if !d.decode(body, reflect.ValueOf(doc).Elem(), "", keyBounds{}) {
		return nil
	}
	return doc
}

// parse parses data into a YAML syntax tree, turning a panic of the
// parser into an error.
func parse(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML parser failed on this file (%v): check its syntax", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

type anchorCollector map[string][]*ast.AnchorNode

func (c anchorCollector) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		name := tokenValue(a.Name)
		c[name] = append(c[name], a)
	}
	return c
}

// resolve returns the node n stands for: the anchored node, the node an
// alias refers to, the tagged node. It returns nil for an alias it cannot
// resolve, having reported it.
func (d *decoder) resolve(n ast.Node, path string) ast.Node {
	return d.resolveOr(n, path, d.fail)
}

// resolveOr is resolve, reporting with report.
func (d *decoder) resolveOr(n ast.Node, path string, report func(path, format string, args ...any)) ast.Node {
	for range maxDepth {
		switch m := n.(type) {
		case *ast.AnchorNode:
			n = m.Value
		case *ast.TagNode:
			n = m.Value
		case *ast.AliasNode:
			a := d.anchor(m)
			if a == nil {
				name := ""
				if m.Value != nil {
					name = tokenValue(m.Value)
				}
				report(path, "alias *%s refers to no anchor before it: define &%s first", name, name)
				return nil
			}
			n = a
		default:
			return n
		}
	}
	report(path, "too many aliases and tags in a row")
	return nil
}

// anchor returns the anchor an alias refers to: the last one of its name
// before it.
func (d *decoder) anchor(a *ast.AliasNode) *ast.AnchorNode {
	if a.Value == nil {
		return nil
	}
	at := nodePos(a).Offset
	var found *ast.AnchorNode
	for _, c := range d.anchors[tokenValue(a.Value)] {
		if nodePos(c).Offset < at {
			found = c
		}
	}
	return found
}

// enter goes one level deeper, into n, tracking the anchors being expanded
// while decoding n, which may be one or an alias to one, so that an alias
// to a node it is part of is caught: ok is false for such an alias, which
// it reports. Call leave once done with n, whatever ok says.
func (d *decoder) enter(n ast.Node, path string) (leave func(), ok bool) {
	start := n
	depth := len(d.expanding)
	d.depth++
	leave = func() {
		d.expanding = d.expanding[:depth]
		d.depth--
	}
	for range maxDepth {
		switch m := n.(type) {
		case *ast.AnchorNode:
			if slices.Contains(d.expanding, m) {
				d.cycle(start, path)
				return leave, false
			}
			d.expanding = append(d.expanding, m)
			n = m.Value
		case *ast.TagNode:
			n = m.Value
		case *ast.AliasNode:
			a := d.anchor(m)
			if a == nil {
				return leave, true
			}
			n = a
		default:
			return leave, true
		}
	}
	return leave, true
}

// cycle reports an alias to a node it is part of.
func (d *decoder) cycle(n ast.Node, path string) {
	name := "?"
	for n != nil {
		switch m := n.(type) {
		case *ast.AliasNode:
			if m.Value != nil {
				name = tokenValue(m.Value)
			}
		case *ast.TagNode:
			n = m.Value
			continue
		}
		break
	}
	d.fail(path, "alias *%s refers to a node it is part of: YAML cannot nest a value in itself", name)
}

// nodePos returns where a node starts: for a block mapping, its first key.
func nodePos(n ast.Node) token.Position {
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return nodePos(m.Values[0])
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return nodePos(m.Key)
		}
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return *tk.Position
	}
	return token.Position{}
}

// tokenValue returns the text of n's token.
func tokenValue(n ast.Node) string {
	if n == nil {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// isAlias reports whether n is an alias, perhaps tagged.
func isAlias(n ast.Node) bool {
	for {
		switch m := n.(type) {
		case *ast.TagNode:
			n = m.Value
		case *ast.AliasNode:
			return true
		default:
			return false
		}
	}
}

// borrow, if merged, counts what is decoded until unborrow as brought in
// by a merge key: the positions recorded are the anchor's, not those of
// the place where it is used (see written).
func (d *decoder) borrow(merged bool) {
	if merged {
		d.borrowing++
	}
}

func (d *decoder) unborrow(merged bool) {
	if merged {
		d.borrowing--
	}
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// decode decodes n into v, the value at path, whose key has the bounds b if
// it is a number, and reports whether it did; if not, it has reported why
// and v is unchanged.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string, b keyBounds) bool {
	if !d.admit(path) {
		return false
	}
	leave, ok := d.enter(n, path)
	defer leave()
	if !ok {
		return false
	}

	if isAlias(n) {
		d.borrowing++
		defer func() { d.borrowing-- }()
	}
	n = d.resolve(n, path)
	if n == nil {
		return false
	}
	if isNull(n) {
		d.fail(path, "has no value: write one, or remove the key")
		return false
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if !d.decode(n, p.Elem(), path, b) {
			return false
		}
		v.Set(p)
		return true
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return d.decodeText(n, v, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		return d.decodeSlice(n, v, path, b)
	case reflect.Map:
		return d.decodeMap(n, v, path)
	case reflect.String:
		return d.decodeString(n, v, path)
	case reflect.Bool:
		return d.decodeBool(n, v, path)
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return d.decodeWhole(n, v, path, b)
	case reflect.Float64:
		return d.decodeFloat(n, v, path, b)
	}
	panic("config: no decoding for " + t.String()) // the document types use none
}

// admit counts one more value decoded and reports whether the file's
// limits allow it: no more values than maxVisits, nothing deeper than
// maxDepth. Past a limit it reports the problem, once for too many values.
func (d *decoder) admit(path string) bool {
	if d.tooBig {
		return false
	}
	if d.visits++; d.visits > d.maxVisits {
		d.tooBig = true
		d.fail(path, "the file expands to too many values (more than %d) through its aliases: write it out, or alias less", d.maxVisits)
		return false
	}
	if d.depth >= maxDepth {
		d.fail(path, "nested more than %d levels deep", maxDepth)
		return false
	}
	return true
}

// decodeText decodes a scalar with the type's UnmarshalText: durations,
// sizes and the core's enumerations.
func (d *decoder) decodeText(n ast.Node, v reflect.Value, path string) bool {
	text, ok := scalarText(n)
	if !ok {
		d.fail(path, "must be %s, not %s", expect(v.Type()), kindOf(n))
		return false
	}
	p := reflect.New(v.Type())
	err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text))
	var pe *supervisor.ParseError
	if err == nil && text == "" && errors.As(enumProbe(v.Type()), &pe) {
		// The core reads "" as an unnamed zero value; a file that names
		// the key must give a value.
		pe.Value = ""
		err = pe
	}
	if err == nil {
		v.Set(p.Elem())
		return true
	}
	if errors.As(err, &pe) {
		valid := enumValues(v.Type())
		msg := fmt.Sprintf("%q is not %s: use %s", text, article(pe.What), orList(valid))
		if s, ok := suggest(text, valid); ok {
			msg = fmt.Sprintf("%q is not %s: did you mean %s? Use %s", text, article(pe.What), s, orList(valid))
		}
		d.fail(path, "%s", msg)
		return false
	}
	d.fail(path, "%s", err.Error())
	return false
}

// enumValues returns the names a config file may use for an enumeration of
// the core: those its UnmarshalText accepts, but "none" for Role, which is
// what leaving the key out means.
func enumValues(t reflect.Type) []string {
	var pe *supervisor.ParseError
	if !errors.As(enumProbe(t), &pe) {
		return nil
	}
	if t == reflect.TypeFor[supervisor.Role]() {
		return slices.DeleteFunc(slices.Clone(pe.Valid), func(s string) bool { return s == "none" })
	}
	return pe.Valid
}

// enumProbe returns the *supervisor.ParseError an enumeration of the core
// gives for a name none has, or nil for other types.
func enumProbe(t reflect.Type) error {
	return reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte{0})
}

func article(what string) string {
	if strings.IndexAny(what[:1], "aeiou") == 0 {
		return "an " + what
	}
	return "a " + what
}

func orList(names []string) string { return list(names, " or ") }

func andList(names []string) string { return list(names, " and ") }

func list(names []string, last string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + last + names[len(names)-1]
}

// expect describes what a value of type t is written as.
func expect(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "a duration such as 5s"
	case reflect.TypeFor[Timeout]():
		return "a duration such as 5s, or infinity"
	case reflect.TypeFor[Size]():
		return "a size such as 512MiB"
	}
	if vals := enumValues(t); vals != nil {
		return orList(vals)
	}
	return "a string"
}

// scalarText returns the text of a scalar node as written (without quotes).
func scalarText(n ast.Node) (string, bool) {
	switch m := n.(type) {
	case *ast.StringNode:
		return m.Value, true
	case *ast.LiteralNode:
		if m.Value != nil {
			return m.Value.Value, true
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// kindOf names the kind of a YAML node for messages.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode:
		return "null"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// describe names a node for messages: its text if it is a short scalar,
// its kind otherwise.
func describe(n ast.Node) string {
	if text, ok := scalarText(n); ok && len(text) <= 40 {
		switch n.(type) {
		case *ast.StringNode, *ast.LiteralNode:
			return strconv.Quote(text)
		}
		return text
	}
	return kindOf(n)
}

// entry is a key and its value in a mapping.
type entry struct {
	key    string
	keyPos token.Position
	value  ast.Node
	merged bool // from a merge key (<<): explicit keys win over it
}

// entries returns the keys of the mapping n, explicit ones first, then
// those merged in with <<, and whether n is a mapping at all.
func (d *decoder) entries(n ast.Node, path string, merged bool) ([]entry, bool) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		return nil, false
	}
	var out, merges []entry
	for _, mv := range values {
		if mv.Key == nil {
			continue
		}
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			merges = append(merges, d.mergeEntries(mv.Value, path)...)
			continue
		}
		key := mv.Key.(ast.Node)
		if k, ok := key.(*ast.MappingKeyNode); ok && k.Value != nil {
			key = k.Value
		}
		text, ok := scalarText(key)
		if !ok {
			d.problemAt(path, nodePos(key), "a key must be a string, not %s", kindOf(key))
			continue
		}
		out = append(out, entry{key: text, keyPos: nodePos(mv.Key), value: mv.Value, merged: merged})
	}
	return append(out, merges...), true
}

// mergeEntries returns the entries a merge key's value brings in: an
// aliased mapping, or a list of them, earlier ones first.
func (d *decoder) mergeEntries(v ast.Node, path string) []entry {
	if d.depth >= maxDepth {
		return nil
	}
	leave, ok := d.enter(v, path)
	defer leave()
	if !ok {
		return nil
	}
	n := d.resolveOr(v, path, d.problem) // the mapping's other keys stand
	if n == nil {
		return nil
	}
	if seq, ok := n.(*ast.SequenceNode); ok {
		var out []entry
		for _, item := range seq.Values {
			out = append(out, d.mergeEntries(item, path)...)
		}
		return out
	}
	es, ok := d.entries(n, path, true)
	if !ok {
		d.problemAt(path, nodePos(v), "<< merges mappings: write <<: *anchor or <<: [*a, *b], not %s", kindOf(n))
	}
	return es
}

// structField is a key of a document type.
type structField struct {
	key    string
	index  []int
	bounds keyBounds // of a number key
}

var fieldCache sync.Map // reflect.Type → []structField

// fieldsOf returns the keys of a document type, with those of embedded
// (inline) structs, in declaration order.
func fieldsOf(t reflect.Type) []structField {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]structField)
	}
	var fs []structField
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Anonymous && key == "" {
			for _, sub := range fieldsOf(f.Type) {
				fs = append(fs, structField{key: sub.key, index: append([]int{i}, sub.index...), bounds: sub.bounds})
			}
			continue
		}
		if key == "" || key == "-" {
			continue
		}
		fs = append(fs, structField{key: key, index: []int{i}, bounds: boundsOf(f.Type, f.Tag.Get("jsonschema"))})
	}
	fieldCache.Store(t, fs)
	return fs
}

// misplaced explains keys that belong elsewhere, by the type they were
// found in.
var misplaced = map[reflect.Type]map[string]string{
	reflect.TypeFor[Supervisor](): {
		"version":      "only the file's root sets version",
		"journal_size": "only the file's root sets journal_size, for the whole tree: move it there",
		"seed":         "only the file's root sets seed, for the whole tree: move it there",
	},
	reflect.TypeFor[Child](): {
		"tree":    "did you mean supervisor? A nested supervisor's keys go under supervisor",
		"command": "did you mean exec? A program's keys go under exec",
		"cmd":     "did you mean exec? A program's keys go under exec",
		"args":    "a program's arguments go under exec: exec: {path: ..., args: [...]}",
		"env":     "a program's environment goes under exec: exec: {path: ..., env: {...}}",
	},
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) bool {
	t := v.Type()
	fields := fieldsOf(t)
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	es, ok := d.entries(n, path, false)
	if !ok {
		if len(keys) > 4 {
			keys = append(keys[:3:3], "...")
		}
		d.fail(path, "must be a mapping (keys %s), not %s", strings.Join(keys, ", "), kindOf(n))
		return false
	}
	seen := make(map[string]token.Position, len(es))
	for _, e := range es {
		kp := join(path, e.key)
		first, dup := seen[e.key]
		switch {
		case dup && e.merged:
			continue // an explicit key, or an earlier merge, wins
		case dup:
			d.problemAt(kp, e.keyPos, "duplicate key: %s is already set at line %d:%d; keep one", keyText(e.key), first.Line, first.Column)
			continue
		}
		seen[e.key] = e.keyPos
		i := slices.Index(keys, e.key)
		if i < 0 {
			d.setPos(kp, e.keyPos)
			if hint, ok := misplaced[t][e.key]; ok {
				d.problem(kp, "unknown key here: %s", hint)
			} else if s, ok := suggest(e.key, keys); ok {
				d.problem(kp, "unknown key: did you mean %s?", s)
			} else {
				d.problem(kp, "unknown key: the keys here are %s", strings.Join(keys, ", "))
			}
			continue
		}
		d.borrow(e.merged)
		d.setPos(kp, e.keyPos)
		d.decode(e.value, v.FieldByIndex(fields[i].index), kp, fields[i].bounds)
		d.unborrow(e.merged)
	}
	return true
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string, b keyBounds) bool {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(path, "must be a list, not %s%s", describe(n), dashHint(n))
		return false
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		ip := index(path, i)
		if item != nil {
			d.setPos(ip, nodePos(item))
		}
		if item == nil || isNull(item) {
			d.emptyItem(seq, i, ip)
			continue
		}
		if !d.decode(item, s.Index(i), ip, b) {
			d.markFailed(ip)
		}
	}
	v.Set(s)
	return true
}

// emptyItem reports item i of seq, at path, which has no value: in a block
// list, a - with nothing after it, placed at the -.
func (d *decoder) emptyItem(seq *ast.SequenceNode, i int, path string) {
	if seq.IsFlowStyle || i >= len(seq.Entries) || seq.Entries[i].Start == nil || seq.Entries[i].Start.Position == nil {
		d.fail(path, "has no value: write the item, or remove it")
		return
	}
	d.setPos(path, *seq.Entries[i].Start.Position)
	d.fail(path, "is an empty list item: write the item after its -, or remove the -")
}

// dashHint explains a mapping found where a list is expected whose first
// key starts with '-': a list item written without the space after its -.
func dashHint(n ast.Node) string {
	var first *ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		if len(m.Values) > 0 {
			first = m.Values[0]
		}
	case *ast.MappingValueNode:
		first = m
	}
	if first == nil || first.Key == nil {
		return ""
	}
	key := tokenValue(first.Key)
	if len(key) < 2 || key[0] != '-' {
		return ""
	}
	value, ok := scalarText(first.Value)
	if !ok || len(value) > 40 {
		value = "..."
	}
	return fmt.Sprintf(": a list item needs a space after its -, as in - %s: %s", key[1:], value)
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) bool {
	es, ok := d.entries(n, path, false)
	if !ok {
		d.fail(path, "must be a mapping, not %s", describe(n))
		return false
	}
	m := reflect.MakeMapWithSize(v.Type(), len(es))
	seen := make(map[string]token.Position, len(es))
	for _, e := range es {
		kp := join(path, e.key)
		first, dup := seen[e.key]
		switch {
		case dup && e.merged:
			continue
		case dup:
			d.problemAt(kp, e.keyPos, "duplicate key: %s is already set at line %d:%d; keep one", keyText(e.key), first.Line, first.Column)
			continue
		}
		seen[e.key] = e.keyPos
		ev := reflect.New(v.Type().Elem()).Elem()
		d.borrow(e.merged)
		d.setPos(kp, e.keyPos)
		if d.decode(e.value, ev, kp, keyBounds{}) {
			m.SetMapIndex(reflect.ValueOf(e.key), ev)
		}
		d.unborrow(e.merged)
	}
	v.Set(m)
	return true
}
