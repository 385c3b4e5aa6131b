package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// manyNames is how many known names a message lists in full; beyond it, it
// lists the nearest few.
const (
	manyNames    = 10
	nearestNames = 5
)

// nearest formats known names for a message about name, which is none of
// them: "did you mean X? " if one is close, then the names, sorted, or the
// nearest few if there are many. label says what the names are.
func nearest(name string, known []string, label string) string {
	var b strings.Builder
	if s, ok := suggest(name, known); ok {
		fmt.Fprintf(&b, "did you mean %s? ", s)
	}
	if len(known) <= manyNames {
		fmt.Fprintf(&b, "%s: %s", label, strings.Join(known, ", "))
		return b.String()
	}
	byDistance := slices.Clone(known)
	slices.SortStableFunc(byDistance, func(x, y string) int {
		return cmp.Compare(distance(name, x), distance(name, y))
	})
	fmt.Fprintf(&b, "%s (the %d nearest of %d): %s", label, nearestNames, len(known),
		strings.Join(byDistance[:nearestNames], ", "))
	return b.String()
}

// suggest returns the known name closest to name, if it is close enough to
// be a likely misspelling: equal but for case and separators (startTimeout
// for start_timeout), or within an edit distance of a third of its length.
func suggest(name string, known []string) (string, bool) {
	best, bestD := "", -1
	for _, k := range known {
		d := distance(name, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if bestD < 0 || bestD > max(1, len([]rune(name))/3) {
		return "", false
	}
	return best, true
}

// distance is the Levenshtein distance between a and b, compared without
// case, separators ('_', '-', '.', ' ') counting for nothing when the names
// are otherwise equal.
func distance(a, b string) int {
	const limit = 256 // names are short; a long one is far from all of them
	a, b = a[:min(len(a), limit)], b[:min(len(b), limit)]
	if squash(a) == squash(b) {
		return 0
	}
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(s))
}
