package ipc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// strictKeys checks that the JSON object doc has each key at most once,
// and only keys that v's struct type names exactly: encoding/json matches
// keys without regard to case and takes the last of a repeated key, so
// that {"who": "relay", "WHO": "forged"} would decode as "forged".
func strictKeys(doc []byte, v any) error {
	names := jsonNames(reflect.TypeOf(v))
	d := json.NewDecoder(bytes.NewReader(doc))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil // not an object: the decoder says what is wrong
	}
	seen := make(map[string]bool)
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil
		}
		key := t.(string)
		switch {
		case seen[key]:
			return fmt.Errorf("key %q is given twice", key)
		case !names[key]:
			return fmt.Errorf("unknown key %q%s", key, caseHint(key, names))
		}
		seen[key] = true
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// jsonNames returns the JSON names of the fields of the struct t points
// to.
func jsonNames(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := make(map[string]bool)
	if t.Kind() != reflect.Struct {
		return names
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			names[name] = true
		}
	}
	return names
}

// caseHint names the key that differs from key only in case, if any.
func caseHint(key string, names map[string]bool) string {
	for n := range names {
		if strings.EqualFold(n, key) {
			return fmt.Sprintf(": keys are matched exactly: %q", n)
		}
	}
	return ""
}
