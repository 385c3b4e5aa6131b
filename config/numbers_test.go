package config_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

// numberKeys returns the keys of the document types whose values are
// numbers (durations and sizes too), by their key, such as "max_restarts".
func numberKeys(t reflect.Type, seen map[reflect.Type]bool, keys map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for f := range t.Fields() {
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Anonymous && key == "" {
			numberKeys(f.Type, seen, keys)
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64:
			if !strings.HasPrefix(ft.PkgPath(), "github.com/go-supervisor/supervisor") || ft.Name() == "Duration" ||
				ft.Name() == "Timeout" || ft.Name() == "Size" {
				keys[key] = true
			}
		}
		numberKeys(f.Type, seen, keys)
	}
}

// Every number key is in the files that give each a value past its
// largest and below its smallest, so that each says what its bound is.
func TestEveryNumberKeyNamesItsBounds(t *testing.T) {
	keys := make(map[string]bool)
	numberKeys(reflect.TypeFor[config.File](), make(map[reflect.Type]bool), keys)
	if len(keys) < 20 {
		t.Fatalf("found only %d number keys: %v", len(keys), keys)
	}
	for _, name := range []string{"numbers-too-large.yaml", "numbers-too-small.yaml"} {
		data := readFile(t, filepath.Join("testdata", "invalid", "schema", name))
		for key := range keys {
			if !bytes.Contains(data, []byte("."+key+": ")) && !bytes.Contains(data, []byte("# want: "+key+": ")) &&
				!bytes.Contains(data, []byte(": "+key+": ")) && !bytes.Contains(data, []byte("."+key+"[0]: ")) {
				t.Errorf("%s has no problem about %s", name, key)
			}
		}
	}
}
