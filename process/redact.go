package process

import (
	"cmp"
	"slices"
	"strings"
)

// MinSecretLen is the length, in bytes, from which a resolved Env value is
// masked in output and errors. Shorter values are left alone.
const MinSecretLen = 4

// Masked replaces a secret in forwarded lines and error messages.
const Masked = "***"

// redactor masks secrets in text.
type redactor struct {
	secrets []string // longest first
	r       *strings.Replacer
}

// newRedactor returns a redactor for values: each one at least
// MinSecretLen long, and each such line of a multi-line value.
func newRedactor(values []string) *redactor {
	var s []string
	add := func(v string) {
		if len(v) >= MinSecretLen {
			s = append(s, v)
		}
	}
	for _, v := range values {
		add(v)
		if strings.ContainsAny(v, "\r\n") {
			for line := range strings.Lines(v) {
				add(strings.TrimRight(line, "\r\n"))
			}
		}
	}
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(s, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	s = slices.Compact(s)
	rd := &redactor{secrets: s}
	if len(s) > 0 {
		pairs := make([]string, 0, 2*len(s))
		for _, v := range s {
			pairs = append(pairs, v, Masked)
		}
		rd.r = strings.NewReplacer(pairs...)
	}
	return rd
}

// mask returns s with every secret masked. cut says s was cut short: then
// a tail of s that begins a secret is masked too, since the rest of that
// secret was cut off.
func (rd *redactor) mask(s string, cut bool) string {
	if rd == nil || rd.r == nil {
		return s
	}
	s = rd.r.Replace(s)
	if !cut {
		return s
	}
	best := 0
	for _, v := range rd.secrets {
		for k := min(len(v)-1, len(s)); k > best; k-- {
			if strings.HasSuffix(s, v[:k]) {
				best = k
				break
			}
		}
	}
	if best > 0 {
		s = s[:len(s)-best] + Masked
	}
	return s
}
