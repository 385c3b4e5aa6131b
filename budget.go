package supervisor

import (
	"fmt"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Budget is a supervisor's restart budget, a token bucket: Burst restarts
// may happen at once, and the bucket gains one token every Refill, up to
// Burst. Over any window of length W the supervisor performs at most
//
//	Burst + W/Refill
//
// automatic restarts of its children. A restart beyond the budget is never
// dropped: it waits for its token (in StateBackoff, ChildInfo.WaitingFor
// "budget", ChildInfo.NextAttempt the time of its token), and tokens go to
// restarts in the order they were decided.
//
// Intensity and Budget differ in what they do at the limit: intensity gives
// up (the supervisor fails), the budget slows down. A budget tighter than
// the intensity therefore turns a restart storm into a steady pace instead
// of an escalation. A group restart (OneForAll, RestForOne) takes one
// token; RestartChild, ResumeChild and ResetChild take none.
//
// The zero Budget is no budget.
type Budget struct {
	// Burst is how many restarts may happen at once: the bucket's size.
	Burst int `json:"burst"`
	// Refill is the time it takes to gain one token.
	Refill time.Duration `json:"-"` // in JSON, as text
}

func (b Budget) String() string {
	if b == (Budget{}) {
		return "none"
	}
	return fmt.Sprintf("burst %d, one more every %s", b.Burst, textfmt.Duration(b.Refill))
}

func (v *validator) budget(b Budget) {
	switch {
	case b == Budget{}:
	case b.Burst < 1:
		v.add("burst", "%d must be 1 or more: the restarts that may happen at once", b.Burst)
	case b.Refill <= 0:
		v.add("refill", "%s must be more than 0, such as 1s: the time to gain one token", textfmt.Duration(b.Refill))
	}
}

// tokenBucket is a Budget run as GCRA (the generic cell rate algorithm):
// one int64, the theoretical arrival time of the next token, makes each
// reservation O(1). A reservation for a restart due at t returns the time
// it may happen, at or after t; reservations are served in order, none is
// refused.
type tokenBucket struct {
	tat      int64 // theoretical arrival time, ns on the tree's clock
	interval int64 // Refill
	tau      int64 // (Burst−1) × Refill: how far ahead of tat a restart may go
	burst    int
}

func newTokenBucket(b Budget) *tokenBucket {
	if b == (Budget{}) {
		return nil
	}
	return &tokenBucket{interval: int64(b.Refill), tau: int64(b.Burst-1) * int64(b.Refill), burst: b.Burst}
}

// reserve takes the first token available at or after at and returns when
// that is. Every start it returns lies in [tat−tau, tat] for a tat that
// grows by interval with each reservation, which bounds the restarts in any
// window W by Burst + W/Refill.
func (b *tokenBucket) reserve(at int64) int64 {
	tat := max(b.tat, at)
	start := max(at, tat-b.tau)
	b.tat = tat + b.interval
	return start
}

// tokens returns how many restarts could happen at now without waiting.
func (b *tokenBucket) tokens(now int64) int {
	tat := max(b.tat, now)
	free := (now+b.tau-tat)/b.interval + 1
	return int(min(max(free, 0), int64(b.burst)))
}

// when returns the time at which a restart decided now, with a backoff of
// delay, may be performed, and the stage that set it: "backoff", or
// "budget" if the budget made it later.
func (n *node) when(delay time.Duration) (int64, string) {
	at := n.now + int64(delay)
	if n.budget == nil {
		return at, "backoff"
	}
	if b := n.budget.reserve(at); b > at {
		return b, "budget"
	}
	return at, "backoff"
}
