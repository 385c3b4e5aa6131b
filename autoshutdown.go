package supervisor

// AutoShutdown says when a supervisor ends on its own because of its
// significant children, as OTP's auto_shutdown. A supervisor that shuts
// itself down this way ends normally: its parent sees a normal exit of a
// child, which restarts it only if it is Permanent, and shuts down in turn
// only if that child is significant there too.
type AutoShutdown uint8

// Auto-shutdown modes.
const (
	// AutoShutdownNever: significant children are not allowed.
	AutoShutdownNever AutoShutdown = iota
	// AnySignificant: the supervisor shuts down as soon as a significant
	// child terminates on its own.
	AnySignificant
	// AllSignificant: the supervisor shuts down once every significant child
	// has terminated, when the last one does so on its own.
	AllSignificant
)

var autoShutdownNames = []string{"never", "any_significant", "all_significant"}

func (a AutoShutdown) String() string { return enumString(autoShutdownNames, a) }

// MarshalText implements encoding.TextMarshaler.
func (a AutoShutdown) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *AutoShutdown) UnmarshalText(b []byte) error {
	return enumParse(autoShutdownNames, b, a, "auto shutdown", 0)
}

// significantProblem says what is wrong with a significant child of restart
// type r in a supervisor with mode a, or returns "".
func significantProblem(r RestartType, a AutoShutdown) string {
	switch {
	case a == AutoShutdownNever:
		return "a significant child needs a supervisor with AutoShutdown set to AnySignificant or AllSignificant"
	case r == Permanent:
		return "a significant child must be Transient or Temporary: a permanent one never terminates on its own"
	}
	return ""
}

// terminated runs after a significant child c terminated on its own and will
// not be restarted: the supervisor may have to shut itself down. Children
// stopped as collateral of a group restart, or through the control API,
// never come here.
func (n *node) terminated(c *child) {
	switch n.compiled.autoShutdown {
	case AnySignificant:
	case AllSignificant:
		for _, s := range n.children {
			if s != nil && s != c && s.cp.pol.significant && (s.cur != nil || s.state == StateBackoff || s.state == StatePending) {
				return // a significant child is still active
			}
		}
	default:
		return
	}
	n.corr = c.corr
	n.autoShutdown = c.path
	n.beginShutdown("auto_shutdown ("+n.compiled.autoShutdown.String()+"): significant child "+c.path+" terminated", Audit{})
}
