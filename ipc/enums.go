package ipc

import "fmt"

// String returns the mode as config files write it.
func (m BindMode) String() string {
	switch m {
	case CreateNew:
		return "create_new"
	case ReplaceStale:
		return "replace_stale"
	}
	return fmt.Sprintf("BindMode(%d)", int(m))
}

// MarshalText writes the mode as config files do: create_new or
// replace_stale.
func (m BindMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (m *BindMode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "create_new":
		*m = CreateNew
	case "replace_stale":
		*m = ReplaceStale
	default:
		return fmt.Errorf("%q is not a bind mode: use create_new or replace_stale", b)
	}
	return nil
}

// String returns the class as config files write it.
func (c Class) String() string {
	switch c {
	case Read:
		return "read"
	case Write:
		return "write"
	case Destructive:
		return "destructive"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// MarshalText writes the class as config files do: read, write or
// destructive.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (c *Class) UnmarshalText(b []byte) error {
	switch string(b) {
	case "read":
		*c = Read
	case "write":
		*c = Write
	case "destructive":
		*c = Destructive
	default:
		return fmt.Errorf("%q is not a class of methods: use read, write or destructive", b)
	}
	return nil
}
