// Package configgen generates the JSON Schema and the commented template
// of go-supervisor's config files from the document types of package
// config, with their Go comments as descriptions. cmd/configgen writes them
// to config/schema.json and config/template.yaml, which package config
// embeds; run it with go generate ./config/ in the main module.
//
// It lives in the tools module so that the library's go.mod never requires
// the schema generator.
package configgen

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/ipc"
)

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/go-supervisor/supervisor/config/schema.json"

// Patterns of the scalar types, which package config's parsers accept
// exactly (the tools tests check that they agree).
const (
	durationPattern = `(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+`
	sizePattern     = `^[0-9]+(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB)?$`
	childName       = `^[A-Za-z0-9._@-]+$`
	registryName    = `^[A-Za-z_][A-Za-z0-9_./:-]*$`
)

// Generate returns the schema (JSON, indented) and the template (YAML) for
// the document types of package config, whose sources are in srcDir.
func Generate(srcDir string) (schema, template []byte, err error) {
	s, err := Schema(srcDir)
	if err != nil {
		return nil, nil, err
	}
	schema, err = json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	template, err = Template(s)
	if err != nil {
		return nil, nil, err
	}
	return append(schema, '\n'), template, nil
}

// Schema reflects the config document types into a JSON Schema (draft
// 2020-12).
func Schema(srcDir string) (*jsonschema.Schema, error) {
	docs, err := comments(srcDir)
	if err != nil {
		return nil, err
	}
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
		Mapper:                     mapper,
		LookupComment: func(t reflect.Type, field string) string {
			if t.PkgPath() != reflect.TypeFor[config.File]().PkgPath() {
				return ""
			}
			return docs[t.Name()+"."+field]
		},
	}
	s := r.Reflect(&config.File{})
	s.ID = SchemaID
	s.Title = "go-supervisor config file"
	refine(s)
	return s, nil
}

// mapper gives the schema of the scalar types the reflector cannot see
// into: package config's durations and sizes, and the core's enumerations,
// written as their names.
func mapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[config.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: "^" + durationPattern + "$"}
	case reflect.TypeFor[config.Timeout]():
		return &jsonschema.Schema{Type: "string", Pattern: "^(infinity|" + durationPattern + ")$"}
	case reflect.TypeFor[config.Size]():
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "integer", Minimum: "1"},
			{Type: "string", Pattern: sizePattern},
		}}
	case reflect.TypeFor[config.FileMode]():
		return &jsonschema.Schema{Type: "string", Pattern: "^0?[0-7]{3}$"}
	case reflect.TypeFor[ipc.BindMode]():
		return textEnum[ipc.BindMode](ipc.CreateNew, ipc.ReplaceStale)
	case reflect.TypeFor[ipc.Class]():
		return textEnum[ipc.Class](ipc.Read, ipc.Write, ipc.Destructive)
	}
	if t.PkgPath() == reflect.TypeFor[supervisor.Spec]().PkgPath() && reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		vals := EnumValues(t)
		enum := make([]any, len(vals))
		for i, v := range vals {
			enum[i] = v
		}
		return &jsonschema.Schema{Type: "string", Enum: enum}
	}
	return nil
}

// textEnum is the schema of an enumeration of package ipc: the names of
// vals, as their MarshalText writes them.
func textEnum[T encoding.TextMarshaler](vals ...T) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string"}
	for _, v := range vals {
		b, err := v.MarshalText()
		if err != nil {
			panic("configgen: " + err.Error())
		}
		s.Enum = append(s.Enum, string(b))
	}
	return s
}

// EnumValues returns the names a config file may use for an enumeration of
// the core: those its UnmarshalText accepts, but "none" for a Role, which
// is what leaving role out means.
func EnumValues(t reflect.Type) []string {
	p := reflect.New(t).Interface().(encoding.TextUnmarshaler)
	var pe *supervisor.ParseError
	if !errors.As(p.UnmarshalText([]byte{0}), &pe) {
		panic("configgen: " + t.String() + " is not an enumeration of the core")
	}
	if t == reflect.TypeFor[supervisor.Role]() {
		return slices.DeleteFunc(slices.Clone(pe.Valid), func(s string) bool { return s == "none" })
	}
	return pe.Valid
}

// refine adds what struct tags cannot say: which keys exclude or need each
// other.
func refine(s *jsonschema.Schema) {
	def := func(name string) *jsonschema.Schema {
		d, ok := s.Definitions[name]
		if !ok {
			panic("configgen: no definition " + name)
		}
		return d
	}
	prop := func(d *jsonschema.Schema, key string) *jsonschema.Schema {
		p, ok := d.Properties.Get(key)
		if !ok {
			panic("configgen: no property " + key)
		}
		return p
	}
	one := uint64(1)
	required := func(keys ...string) *jsonschema.Schema { return &jsonschema.Schema{Required: keys} }
	offAlone := func(d *jsonschema.Schema, others ...string) {
		then := &jsonschema.Schema{Properties: jsonschema.NewProperties()}
		for _, k := range others {
			then.Properties.Set(k, jsonschema.FalseSchema)
		}
		d.If = &jsonschema.Schema{Properties: jsonschema.NewProperties(), Required: []string{"off"}}
		d.If.Properties.Set("off", &jsonschema.Schema{Const: true})
		d.Then = then
	}

	// The root declares its children; journal_size 0 would be the default.
	s.Required = append(s.Required, "children")
	prop(s, "journal_size").Not = &jsonschema.Schema{Enum: []any{0}}

	child := def("Child")
	child.OneOf = []*jsonschema.Schema{required("run"), required("exec"), required("supervisor")}
	for _, k := range []string{"name", "primary", "group"} {
		p := prop(child, k)
		p.Pattern, p.MaxLength = childName, ptr(uint64(128))
	}
	prop(child, "run").Pattern = registryName
	p := prop(def("Group"), "name")
	p.Pattern, p.MaxLength = childName, ptr(uint64(128))

	backoff := def("Backoff")
	backoff.MinProperties = &one
	backoff.DependentRequired = map[string][]string{"max": {"initial"}, "multiplier": {"initial"}, "jitter": {"initial"}}
	offAlone(backoff, "initial", "max", "multiplier", "jitter")

	quarantine := def("Quarantine")
	quarantine.MinProperties = &one
	quarantine.DependentRequired = map[string][]string{"after": {"within"}, "within": {"after"}, "probation": {"after"}}
	offAlone(quarantine, "after", "within", "probation")

	liveness := def("Liveness")
	liveness.MinProperties = &one
	liveness.DependentRequired = map[string][]string{"stale_after": {"interval"}, "progress": {"interval"}, "on_stale": {"interval"}}
	offAlone(liveness, "interval", "stale_after")

	rule := def("Rule")
	rule.AnyOf = []*jsonschema.Schema{required("is"), required("as"), required("message"), required("exit_codes")}
	prop(rule, "is").Pattern = registryName
	prop(rule, "as").Pattern = registryName
	prop(rule, "message").MinLength = &one

	def("Ready").MinProperties = &one
	env := prop(def("Exec"), "env")
	env.PropertyNames = &jsonschema.Schema{Pattern: "^[^=\u0000]+$"}
	env.Examples = []any{map[string]any{
		"PORT":         "8080",
		"DATABASE_URL": "${DATABASE_URL}",
		"LOG_LEVEL":    "${LOG_LEVEL:-info}",
		"API_TOKEN":    "${file:/run/secrets/api_token}",
	}}
	prop(def("Limits"), "address_space").Examples = []any{"1GiB"}
	prop(def("IPC"), "max_line").Default = "64KiB"
}

func ptr[T any](v T) *T { return &v }

// comments returns the doc comments of the types and fields of the Go
// package in dir (tests left out), keyed "Type." and "Type.Field", each
// joined into one paragraph.
func comments(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				out[ts.Name.Name+"."] = paragraph(doc.Text())
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fl := range st.Fields.List {
					for _, n := range fl.Names {
						out[ts.Name.Name+"."+n.Name] = paragraph(fl.Doc.Text())
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("configgen: no Go types in %s", dir)
	}
	return out, nil
}

// paragraph joins the lines of a comment with spaces.
func paragraph(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
