package golden

import (
	"encoding/json"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Times are written in UTC whatever zone produced them; replacements apply;
// the field order is kept.
func TestNormalize(t *testing.T) {
	in := `{"b":"2026-12-08T10:30:00.5+01:00","a":"id1234"}`
	want := `{"b":"2026-12-08T09:30:00.5Z","a":"7ree"}`
	if got := string(Normalize([]byte(in), map[string]string{"id1234": "7ree"})); got != want {
		t.Errorf("Normalize = %s, want %s", got, want)
	}
}

// The vocabulary check finds camelCase keys, durations in nanoseconds or
// in another syntax, and times that are not RFC 3339.
func TestVocabularyProblems(t *testing.T) {
	for doc, want := range map[string]int{
		`{"tree_id":"x","children":[{"next_attempt":"2026-12-08T09:30:00Z","delay":"1.5s"}],"period":"infinity"}`: 0,
		`{"treeId":"x"}`:                       1,
		`{"delay":1500000000}`:                 1,
		`{"a":[{"duration":"1 second"}]}`:      1,
		`{"since":"yesterday"}`:                1,
		`{"counts":{"running":2,"Backoff":1}}`: 1,
	} {
		var v any
		if err := jsonUnmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		if got := vocabularyProblems(v, "$"); len(got) != want {
			t.Errorf("%s: %d problems %q, want %d", doc, len(got), got, want)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
