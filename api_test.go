package supervisor_test

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// interfaceMethods are the methods that implement standard interfaces: a
// user never calls them by name, and the inventory lists them apart.
var interfaceMethods = map[string]bool{"String": true, "Error": true, "Unwrap": true, "Is": true,
	"MarshalText": true, "UnmarshalText": true, "MarshalJSON": true, "UnmarshalJSON": true}

// TestAPIInventory keeps docs/api.md's inventory of the root package's
// exported names in step with the code: every exported name (type,
// function, method, constant, variable) is listed under its type with the
// first sentence of its documentation, which says what it is for, and the
// counts at the top are recounted. A name without documentation fails the
// test. GOLDEN_UPDATE=1 rewrites the inventory; the rest of the page is
// left alone.
func TestAPIInventory(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/go-supervisor/supervisor")
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory(t, p)

	page, err := os.ReadFile("docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- inventory: begin -->\n", "<!-- inventory: end -->\n"
	before, rest, ok1 := strings.Cut(string(page), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("docs/api.md lacks the markers %q and %q", begin, end)
	}
	want := before + begin + inv + end + after
	if os.Getenv("GOLDEN_UPDATE") == "1" {
		if err := os.WriteFile("docs/api.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(page) != want {
		t.Errorf("docs/api.md's inventory is out of date: run GOLDEN_UPDATE=1 go test -run TestAPIInventory . and review the diff")
	}
}

// inventory writes the package's exported names, counted and grouped.
func inventory(t *testing.T, p *doc.Package) string {
	var b strings.Builder
	var names, impls, fields int
	line := func(name, docText string) {
		names++
		s := p.Synopsis(docText)
		if s == "" {
			t.Errorf("%s has no documentation", name)
		}
		fmt.Fprintf(&b, "- `%s`: %s\n", name, s)
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, spec := range v.Decl.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if !n.IsExported() {
						continue
					}
					d := v.Doc
					if vs := spec.(*ast.ValueSpec); vs.Doc != nil {
						d = vs.Doc.Text()
					}
					line(n.Name, d)
				}
			}
		}
	}
	for _, typ := range p.Types {
		fmt.Fprintf(&b, "\n### %s\n\n", typ.Name)
		line(typ.Name, typ.Doc)
		if st, ok := typ.Decl.Specs[0].(*ast.TypeSpec).Type.(*ast.StructType); ok {
			for _, f := range st.Fields.List {
				for _, n := range f.Names {
					if n.IsExported() {
						fields++
					}
				}
			}
		}
		values(typ.Consts)
		values(typ.Vars)
		for _, f := range typ.Funcs {
			line(f.Name, f.Doc)
		}
		var std []string
		for _, m := range typ.Methods {
			if interfaceMethods[m.Name] {
				std = append(std, m.Name)
				continue
			}
			line(typ.Name+"."+m.Name, m.Doc)
		}
		if len(std) > 0 {
			slices.Sort(std)
			fmt.Fprintf(&b, "- implements: %s\n", strings.Join(std, ", "))
			names += len(std)
			impls += len(std)
		}
	}
	fmt.Fprintf(&b, "\n### Functions, constants and variables of the package\n\n")
	for _, f := range p.Funcs {
		line(f.Name, f.Doc)
	}
	values(p.Consts)
	values(p.Vars)
	head := fmt.Sprintf("**%d exported names**: %d that a user reads (types, functions, methods, constants, variables) "+
		"and %d methods that implement standard interfaces (`String`, `Error`, `Unwrap`, `MarshalText`, `UnmarshalText`, "+
		"`MarshalJSON`, `UnmarshalJSON`), which a user never calls by name; and %d exported struct fields.\n",
		names, names-impls, impls, fields)
	return head + b.String()
}
