// Package yamlshapes makes YAML files shaped to cost a YAML parser the most:
// deep nesting in every style, wide mappings, and token-dense text. The
// config package's tests and benchmarks and the command's resource tests
// share them.
package yamlshapes

import (
	"fmt"
	"strings"
)

// Shape is a named file.
type Shape struct {
	Name string
	Data string
}

// Limits are the limits a file is shaped against.
type Limits struct {
	Size    int // bytes in a file
	Line    int // bytes in a line
	Nesting int // collections one inside another
	Keys    int // keys of a block mapping
}

// Within returns files that keep to l, each as costly as its shape can be:
// as large as l.Size allows, as deep as l.Nesting allows, one structure per
// line so that no line is longer than l.Line.
func Within(l Limits) []Shape {
	d := l.Nesting - 2 // a top-level key and its flow sequence hold them
	fill := func(head, unit, tail string) string { return Fill(head, unit, tail, l.Size) }
	return []Shape{
		{"deep flow sequences", fill("a: [\n", Nested("[", "]", d)+",\n", "]\n")},
		{"deep flow mappings", fill("a: [\n", Nested("{a: ", "}", d)+",\n", "]\n")},
		{"deep flow over lines", fill("a: [\n", Nested("[\n", "]\n", d)+",\n", "]\n")},
		{"deep block mappings", fill("", "x:\n"+Indented(d)[3:], "")},
		{"compact sequences", fill("", strings.Repeat("- ", l.Nesting)+"x\n", "")},
		{"wide flow sequence", fill("a: [\n", strings.Repeat("[],", 10)+"\n", "]\n")},
		{"wide flow mappings", fill("a: [\n", strings.Repeat("{},", 10)+"\n", "]\n")},
		{"wide block mappings", fill("", "m:\n"+Keys(l.Keys, 1), "")},
		{"null items", fill("", "-\n", "")},
		{"aliases", fill("a: &a [1, 2, 3, 4]\nb:\n", "- [*a, *a, *a, *a]\n", "")},
		{"long lines", fill("", "- "+strings.Repeat("x", l.Line-2)+"\n", "")},
		{"children", fill("children:\n", "  - name: c\n    exec: {path: /bin/true}\n", "")},
	}
}

// Beyond returns files that break l, as an attacker would write them: far
// deeper, wider, longer or larger than l allows.
func Beyond(l Limits) []Shape {
	return []Shape{
		{"flow sequences", "children: " + Nested("[", "]", 100*l.Nesting) + "\n"},
		{"flow mappings", "children: " + strings.Repeat("{a: ", 50*l.Nesting) + "\n"},
		{"block mappings", Indented(l.Nesting + 50)},
		{"compact sequences", strings.Repeat("- ", 10*l.Nesting) + "x\n"},
		{"wide block mapping", Keys(10*l.Keys, 0)},
		{"long line", "name: " + strings.Repeat("x", 10*l.Line) + "\n"},
		{"flow after an anchored key", "&a k: " + strings.Repeat("[", 10*l.Nesting) + "\n" +
			strings.Repeat(" x, "+strings.Repeat("[", l.Line/2)+"\n", 3)},
		{"anchored keys", strings.Repeat("&a k:\n", 20*l.Keys)},
		{"documents", strings.Repeat("--- a\n", l.Size/6)},
		{"big file", Fill("children:\n", "  - name: x\n", "", 40*l.Size)},
	}
}

// Fill repeats unit after head, then ends with tail, making a text as long
// as it can be without being longer than size.
func Fill(head, unit, tail string, size int) string {
	var b strings.Builder
	b.WriteString(head)
	for b.Len()+len(unit)+len(tail) <= size {
		b.WriteString(unit)
	}
	b.WriteString(tail)
	return b.String()
}

// Nested returns depth openings, then depth closings: "[[]]" for ("[",
// "]", 2).
func Nested(open, close string, depth int) string {
	return strings.Repeat(open, depth) + strings.Repeat(close, depth)
}

// Indented returns depth keys, each nested in the one before: "a:\n a:\n".
func Indented(depth int) string {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "%sa:\n", strings.Repeat(" ", i))
	}
	return b.String()
}

// Keys returns a block mapping of n keys indented by indent spaces.
func Keys(n, indent int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%sk%d: v\n", strings.Repeat(" ", indent), i)
	}
	return b.String()
}
