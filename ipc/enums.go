package ipc

import (
	"fmt"
	"slices"
	"strings"
)

// The names config files write for the enumerations of this package, by
// value.
var (
	bindModeNames = []string{"create_new", "replace_stale"}
	classNames    = []string{"", "read", "write", "destructive"}
)

// String returns the mode as config files write it.
func (m BindMode) String() string { return enumName(bindModeNames, int(m), "BindMode") }

// MarshalText writes the mode as config files do: create_new or
// replace_stale.
func (m BindMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (m *BindMode) UnmarshalText(b []byte) error {
	return parseEnum(bindModeNames, b, "a bind mode", (*int)(m))
}

// String returns the class as config files write it.
func (c Class) String() string { return enumName(classNames, int(c), "Class") }

// MarshalText writes the class as config files do: read, write or
// destructive.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (c *Class) UnmarshalText(b []byte) error {
	return parseEnum(classNames, b, "a class of methods", (*int)(c))
}

// enumName returns the name of value v of an enumeration, or typ(v).
func enumName(names []string, v int, typ string) string {
	if v >= 0 && v < len(names) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// parseEnum sets *v to the value named b, or says which names there are.
func parseEnum(names []string, b []byte, what string, v *int) error {
	i := slices.Index(names, string(b))
	if i < 0 || names[i] == "" {
		valid := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "" })
		return fmt.Errorf("%q is not %s: use %s", b, what, orList(valid))
	}
	*v = i
	return nil
}

// orList writes names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
