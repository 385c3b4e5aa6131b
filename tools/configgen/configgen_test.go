package configgen_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/tools/configgen"
)

// The loader and the schema divide the work this way:
//
//   - config/testdata/valid/*.yaml, the examples' config files and the
//     template: both accept them;
//   - config/testdata/invalid/schema/*.yaml: both reject them (the schema,
//     or the YAML reader before it, for syntax errors, duplicate keys and
//     unknown aliases);
//   - config/testdata/invalid/semantic/*.yaml: the schema accepts them and
//     only the loader rejects them, because a schema cannot know them:
//     names missing from the program's Registry, a sidecar's primary that
//     is not an earlier sibling, a group that is not declared, duplicate
//     child names, a value of 0 where 0 would read as "unset", a regular
//     expression that does not compile, what package process checks.
const (
	configDir = "../../config"
	mainDir   = "../.."
)

func testRegistry() *config.Registry {
	var reg config.Registry
	for _, name := range []string{"api", "app", "cache", "db", "migrate", "worker"} {
		reg.Func(name, func(ctx context.Context) error { <-ctx.Done(); return nil })
	}
	reg.Error("ErrDrained", errors.New("drained"))
	reg.ErrorType("fs.PathError", (*fs.PathError)(nil))
	return &reg
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(configgen.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(configgen.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks a YAML document against the schema; a document the YAML
// reader rejects is rejected.
func validate(s *jsonschema.Schema, data []byte) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("YAML: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The committed schema.json and template.yaml are what the generator makes
// of the current document types: a change to them without go generate
// fails here.
func TestGeneratedFilesUpToDate(t *testing.T) {
	schema, template, err := configgen.Generate(configDir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(schema, config.Schema()) {
		t.Error("config/schema.json is out of date: run go generate ./config/")
	}
	if !bytes.Equal(template, config.Template()) {
		t.Error("config/template.yaml is out of date: run go generate ./config/")
	}
}

// Every valid file and the template pass both the schema and the loader;
// the examples' config files pass the schema (the examples' own tests load
// them, with the functions they register).
func TestValidFilesPassBoth(t *testing.T) {
	s := compile(t)
	files := yamlFiles(t, filepath.Join(configDir, "testdata", "valid"))
	if len(files) == 0 {
		t.Fatal("no valid files")
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			data := read(t, path)
			if err := validate(s, data); err != nil {
				t.Errorf("schema: %v", err)
			}
			if _, err := config.Parse(data, path, testRegistry()); err != nil {
				t.Errorf("loader: %v", err)
			}
		})
	}
	for _, path := range yamlFiles(t, filepath.Join(mainDir, "examples")) {
		t.Run(path, func(t *testing.T) {
			if err := validate(s, read(t, path)); err != nil {
				t.Errorf("schema: %v", err)
			}
		})
	}
	t.Run("template", func(t *testing.T) {
		if err := validate(s, config.Template()); err != nil {
			t.Errorf("schema: %v", err)
		}
		if _, err := config.Parse(config.Template(), "template.yaml", nil); err != nil {
			t.Errorf("loader: %v", err)
		}
	})
}

// What the schema rejects, the loader rejects too.
func TestSchemaInvalidRejectedByBoth(t *testing.T) {
	s := compile(t)
	files := yamlFiles(t, filepath.Join(configDir, "testdata", "invalid", "schema"))
	if len(files) == 0 {
		t.Fatal("no files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := read(t, path)
			if err := validate(s, data); err == nil {
				t.Error("the schema accepts it")
			}
			if _, err := config.Parse(data, path, testRegistry()); err == nil {
				t.Error("the loader accepts it")
			}
		})
	}
}

// What only the loader can know, the schema accepts.
func TestSemanticInvalidRejectedByLoaderOnly(t *testing.T) {
	s := compile(t)
	files := yamlFiles(t, filepath.Join(configDir, "testdata", "invalid", "semantic"))
	if len(files) == 0 {
		t.Fatal("no files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := read(t, path)
			if err := validate(s, data); err != nil {
				t.Errorf("the schema rejects it, so it belongs in invalid/schema: %v", err)
			}
			if _, err := config.Parse(data, path, testRegistry()); err == nil {
				t.Error("the loader accepts it")
			}
		})
	}
}

// The schema's patterns and enumerations accept exactly what the loader's
// parsers do.
func TestScalarsAgree(t *testing.T) {
	s := compile(t)
	child := "children:\n  - name: app\n    run: app\n    %s\n"
	cases := map[string][]string{
		"shutdown: %s": {"5s", "1.5h", "1h30m", ".5s", "1us", "1µs", "250ms", "10ns", "infinity",
			"5", "-5s", "+5s", "5 s", "5S", "5ss", `""`, "forever", "1d", "1e3s", "1.s"},
		"backoff: {initial: %s}": {"100ms", "infinity", "2562047h"},
		"exec: {path: x, limits: {address_space: %s}}": {"1GiB", "512MiB", "1024", "1", "7B", "3kB", "2TB",
			"1 GiB", "1gb", "1.5GiB", "-1", "512M", `"1024"`, "18446744073709551615"},
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[supervisor.RestartType](), reflect.TypeFor[supervisor.Readiness](), reflect.TypeFor[supervisor.Role](),
	} {
		key := map[string]string{"RestartType": "restart", "Readiness": "readiness", "Role": "role"}[typ.Name()]
		cases[key+": %s"] = append(configgen.EnumValues(typ), "none", "Permanent", "EXPLICIT", "1")
	}
	for format, values := range cases {
		for _, v := range values {
			body := fmt.Sprintf(child, fmt.Sprintf(format, v))
			if strings.HasPrefix(format, "exec:") {
				body = strings.Replace(body, "    run: app\n", "", 1)
			}
			if strings.HasPrefix(format, "role:") && v == "sidecar" {
				body += "    primary: app\n"
				body = strings.Replace(body, "children:\n", "children:\n  - {name: main, run: app}\n", 1)
				body = strings.Replace(body, "primary: app", "primary: main", 1)
			}
			schemaErr := validate(s, []byte(body))
			_, loadErr := config.Parse([]byte(body), "scalar.yaml", testRegistry())
			if (schemaErr == nil) != (loadErr == nil) {
				t.Errorf("%s: schema error %v, loader error %v", fmt.Sprintf(format, v), schemaErr, loadErr)
			}
		}
	}
}
