package supervisor

// Strategy chooses which children a supervisor restarts when one of them
// must be restarted, as in OTP.
//
// For OneForAll and RestForOne the restart is a barrier: the affected
// siblings are stopped one at a time in reverse start order, each confirmed
// exited or abandoned at its Shutdown budget, and only then are they started
// again in declaration order, each waiting for the previous one's readiness.
// Paused, quarantined and removed siblings are left alone, and Temporary
// siblings stopped on the way are removed rather than restarted.
type Strategy uint8

// Strategies.
const (
	// OneForOne restarts only the child that failed.
	OneForOne Strategy = iota
	// OneForAll stops every other child and restarts them all.
	OneForAll
	// RestForOne restarts the failed child and every child declared after it.
	RestForOne
)

var strategyNames = []string{"one_for_one", "one_for_all", "rest_for_one"}

func (s Strategy) String() string { return enumString(strategyNames, s) }

// MarshalText implements encoding.TextMarshaler.
func (s Strategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Strategy) UnmarshalText(b []byte) error {
	return enumParse(strategyNames, b, s, "strategy", 0)
}

// scope returns the children a restart of failed affects, in declaration
// order. Removed, paused and quarantined children are not part of it.
func (n *node) scope(failed *child) []*child {
	var from int
	group := failed.cp.pol.group
	switch n.scopes[group].strategy {
	case OneForOne:
		return []*child{failed}
	case RestForOne:
		from = int(failed.index)
	}
	out := make([]*child, 0, len(n.children)-from)
	for _, c := range n.children[from:] {
		if c == nil || c.removed || c.cp.pol.group != group {
			continue
		}
		if c != failed && c.admin != adminActive {
			continue
		}
		out = append(out, c)
	}
	return out
}
