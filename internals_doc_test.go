package supervisor_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

// docReference is a name the docs place in a file: "`name` (file.go",
// "(`name`, file.go", "`a`, `b`, file.go" or "`a` and `b` (file.go".
var docReference = regexp.MustCompile("((?:`\\w+`(?:,\\s|\\sand\\s)?)+),?\\s?\\(?(\\w+\\.go)\\b")

// Every function and type docs/internals.md names in a file of this package
// is declared there: a rename or a move that forgets the page fails here.
func TestInternalsReferences(t *testing.T) {
	b, err := os.ReadFile("docs/internals.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(b)), " ")
	declared := map[string]map[string]bool{} // file -> names
	checked := 0
	for _, m := range docReference.FindAllStringSubmatch(text, -1) {
		file := m[2]
		names, ok := declared[file]
		if !ok {
			names = declarations(t, file)
			declared[file] = names
		}
		for _, name := range regexp.MustCompile("`(\\w+)`").FindAllStringSubmatch(m[1], -1) {
			checked++
			if !names[name[1]] {
				t.Errorf("docs/internals.md names %s in %s, which declares no such function or type", name[1], file)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d references found: the pattern no longer matches how the page cites code", checked)
	}
}

// declarations returns the names of the functions, methods and types
// declared in file.
func declarations(t *testing.T, file string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("docs/internals.md names %s: %v", file, err)
	}
	names := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			names[d.Name.Name] = true
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					names[ts.Name.Name] = true
				}
			}
		}
	}
	return names
}
