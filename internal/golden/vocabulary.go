package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"testing"
	"time"
)

// keyRE is a snake_case key.
var keyRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// durationKeys hold durations; timeKeys hold times.
var (
	durationKeys = map[string]bool{"delay": true, "duration": true, "period": true, "refill": true}
	timeKeys     = map[string]bool{"time": true, "since": true, "started": true, "ready_at": true,
		"last_heartbeat": true, "next_attempt": true}
)

// durationRE is the text of a duration, as config files write it.
var durationRE = regexp.MustCompile(`^(infinity|0s|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$`)

// CheckVocabulary checks every document of doc (JSON, or NDJSON) against
// the project's JSON vocabulary: object keys are snake_case (but the keys
// of a map, such as a snapshot's counts by state, are enumeration values,
// snake_case too), a duration is a string such as "1.5s" or
// "infinity", never a number of nanoseconds, and a time is an RFC 3339
// string. It reports every violation with its path in the document.
func CheckVocabulary(t *testing.T, doc []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	for n := 0; ; n++ {
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			t.Fatalf("document %d: %v", n, err)
		}
		for _, p := range vocabularyProblems(v, "$") {
			t.Errorf("document %d: %s", n, p)
		}
	}
}

func vocabularyProblems(v any, at string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			path := at + "." + k
			if !keyRE.MatchString(k) {
				out = append(out, fmt.Sprintf("%s: key %q is not snake_case", path, k))
			}
			out = append(out, valueProblems(k, v[k], path)...)
			out = append(out, vocabularyProblems(v[k], path)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, vocabularyProblems(e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return out
}

// valueProblems checks the value of key by what the key says it holds.
func valueProblems(key string, v any, path string) []string {
	s, isString := v.(string)
	switch {
	case durationKeys[key] && !isString:
		return []string{fmt.Sprintf("%s: duration %v is not text such as \"1.5s\"", path, v)}
	case durationKeys[key] && !durationRE.MatchString(s):
		return []string{fmt.Sprintf("%s: %q is not a duration as config files write it", path, s)}
	case timeKeys[key] && !isString:
		return []string{fmt.Sprintf("%s: time %v is not an RFC 3339 string", path, v)}
	case timeKeys[key]:
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return []string{fmt.Sprintf("%s: %q is not an RFC 3339 time", path, s)}
		}
	}
	return nil
}
