package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/internal/yamlshapes"
)

// hostile are files shaped to make the YAML parser work hard: each is
// rejected by the limits, at the place given, before the parser sees it.
var hostile = []struct {
	name      string
	data      string
	line, col int
	want      string
}{
	// The top-level mapping is the first collection: 199 brackets more.
	{"flow sequences", "children: " + yamlshapes.Nested("[", "]", 5000), 1, 11 + 199, "nested more than 200 levels"},
	{"flow mappings", "children: " + strings.Repeat("{a: ", 2000), 1, 11 + 4*199, "nested more than 200 levels"},
	{"flow mixed", "a: " + strings.Repeat("[{", 2000), 1, 4 + 199, "nested more than 200 levels"},
	{"flow over lines", "a: [\n" + strings.Repeat("[\n", 1000), 200, 1, "nested more than 200 levels"},
	{"flow after a flow key", "[]: " + yamlshapes.Nested("[", "]", 1000), 1, 5 + 200, "nested more than 200 levels"},
	{"flow after a multi-line quote", "a: [\"x\n" + "yy\", " + yamlshapes.Nested("[", "]", 1000), 2, 6 + 198, "nested more than 200 levels"},
	{"block mappings", yamlshapes.Indented(300), 201, 201, "nested more than 200 levels"},
	{"compact sequences", strings.Repeat("- ", 5000) + "x\n", 1, 401, "nested more than 200 levels"},
	{"explicit keys", strings.Repeat("? ", 5000) + "x\n", 1, 401, "nested more than 200 levels"},
	{"sequences at their keys' indentation", sequencesAtKeys(150), 101, 201, "nested more than 200 levels"},
	{"wide block mapping", yamlshapes.Keys(2000, 0), 1001, 1, "more than 1000 keys"},
	{"wide nested mapping", "a:\n" + yamlshapes.Keys(2000, 2), 1002, 3, "more than 1000 keys"},
	{"wide explicit keys", strings.Repeat("? a\n", 2000), 1001, 1, "more than 1000 keys"},
	{"long line", "name: " + strings.Repeat("x", 100_000), 1, 16385, "longer than 16384 bytes"},
	// Hostile shapes a scan that misread a line would let through: the
	// brackets of a plain scalar count too, and a key's properties.
	{"brackets in a plain scalar", "name: a" + strings.Repeat("[", 300) + "\n", 1, 8 + 199, "nested more than 200 levels"},
	{"a flow after an anchored key", "&a k: " + strings.Repeat("[", 300) + "\n", 1, 7 + 199, "nested more than 200 levels"},
	{"a flow after a tagged key", "- !t k: " + strings.Repeat("[", 300) + "\n", 1, 9 + 198, "nested more than 200 levels"},
	{"anchored keys", strings.Repeat("&a k:\n", 2000), 1001, 1, "more than 1000 keys"},
	{"documents", strings.Repeat("--- a\n", 2000), 2, 1, "holds one YAML document"},
	{"big file", yamlshapes.Fill("", "- name: x\n", "", 10<<20), 13108, 3, "larger than 128 KiB"},
}

// sequencesAtKeys returns n sequences each nested in the mapping of the
// one before, each written at its key's indentation: "a:\n- a:\n  - a:\n".
func sequencesAtKeys(n int) string {
	var b strings.Builder
	b.WriteString("a:\n")
	for i := range n {
		b.WriteString(strings.Repeat("  ", i) + "- a:\n")
	}
	return b.String()
}

func TestLimitsRejectHostileShapes(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			p := onlyProblem(t, tc.data)
			if p.Line != tc.line || p.Column != tc.col || !strings.Contains(p.Message, tc.want) {
				t.Errorf("got %v\nwant %d:%d: ...%s...", p, tc.line, tc.col, tc.want)
			}
			if line := strings.Split(tc.data, "\n")[p.Line-1]; p.Source == "" || !strings.HasPrefix(line, p.Source) {
				t.Errorf("source %.40q, want the start of line %d, %.40q", p.Source, p.Line, line)
			}
		})
	}
}

// onlyProblem parses data and returns its one problem.
func onlyProblem(t *testing.T, data string) config.Problem {
	t.Helper()
	_, err := config.Parse([]byte(data), "hostile.yaml", nil)
	var cerr *config.Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
		t.Fatalf("Parse: %v, want one problem", err)
	}
	return cerr.Problems[0]
}

// TestLimitsLetThroughWhatIsText checks that brackets, colons and dashes in
// comments, quoted scalars and block scalars are not counted, nor keys of
// different mappings together: none of these files has a limit's problem.
func TestLimitsLetThroughWhatIsText(t *testing.T) {
	deep := yamlshapes.Nested("[", "]", 300)
	for name, data := range map[string]string{
		"comment":                "name: x # " + deep + "\n",
		"double quoted":          "name: \"" + deep + "\\\"" + deep + "\"\n",
		"single quoted":          "name: '" + deep + "''" + deep + "'\n",
		"multi-line quoted":      "name: \"a\n  " + deep + "\n  b\"\n",
		"literal block scalar":   "name: |\n  " + deep + "\n  " + strings.Repeat("- ", 300) + "\n",
		"folded in a sequence":   "a:\n  - >\n    " + deep + "\n",
		"plain scalar":           "name: a" + yamlshapes.Nested("[", "]", 150) + "\n",
		"quoted in flow":         "a: [\"" + deep + "\", '" + deep + "']\n",
		"keys of many mappings":  "a:\n" + yamlshapes.Keys(config.MaxMappingKeys, 2) + "b:\n" + yamlshapes.Keys(config.MaxMappingKeys, 2),
		"many items":             "a:\n" + strings.Repeat("  - x\n", 20_000),
		"deep within the limit":  "a: " + yamlshapes.Nested("[", "]", config.MaxNesting-1) + "\n",
		"block within the limit": yamlshapes.Indented(config.MaxNesting - 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse([]byte(data), "text.yaml", nil)
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				return
			}
			for _, p := range cerr.Problems {
				if limitProblem(p) {
					t.Errorf("a limit's problem for text: %v", p)
				}
			}
		})
	}
}

// limits are the config package's limits, for yamlshapes.
var limits = yamlshapes.Limits{
	Size: config.MaxFileSize, Line: config.MaxLineLength,
	Nesting: config.MaxNesting, Keys: config.MaxMappingKeys,
}

// TestLimitsBeyond checks that every shape beyond the limits is refused
// with a limit's problem.
func TestLimitsBeyond(t *testing.T) {
	for _, tc := range yamlshapes.Beyond(limits) {
		t.Run(tc.Name, func(t *testing.T) {
			if p := onlyProblem(t, tc.Data); !limitProblem(p) {
				t.Errorf("got %v, want a limit's problem", p)
			}
		})
	}
}

// TestLimitsWithin checks that no shape within the limits is refused by
// them: they are what the parser is left to decide.
func TestLimitsWithin(t *testing.T) {
	for _, tc := range yamlshapes.Within(limits) {
		t.Run(tc.Name, func(t *testing.T) {
			if len(tc.Data) > config.MaxFileSize {
				t.Fatalf("the file is %d bytes, over the limit", len(tc.Data))
			}
			_, err := config.Parse([]byte(tc.Data), "within.yaml", nil)
			var cerr *config.Error
			if errors.As(err, &cerr) && limitProblem(cerr.Problems[0]) {
				t.Errorf("refused by a limit: %v", cerr.Problems[0])
			}
		})
	}
}

// limitProblem reports whether p is the problem of a limit.
func limitProblem(p config.Problem) bool {
	for _, limit := range []string{"levels deep", "keys:", "longer than", "larger than", "one YAML document"} {
		if strings.Contains(p.Message, limit) {
			return true
		}
	}
	return false
}

// BenchmarkParseWithinLimits measures the time and allocation of the most
// costly shapes of file within the limits (docs/config.md quotes it).
func BenchmarkParseWithinLimits(b *testing.B) {
	for _, tc := range yamlshapes.Within(limits) {
		b.Run(tc.Name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.Data)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = config.Parse([]byte(tc.Data), "within.yaml", nil)
			}
		})
	}
}

// BenchmarkParseHostile measures how fast hostile files are rejected.
func BenchmarkParseHostile(b *testing.B) {
	for _, tc := range hostile {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = config.Parse([]byte(tc.data), "hostile.yaml", nil)
			}
		})
	}
}
