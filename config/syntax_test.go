package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

// A quote left open runs to the end of the file, through any comment: the
// cases testdata's "# want:" lines cannot hold.
func TestSyntaxUnclosedQuote(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"children:\n  - name: \"app\n    run: app\n",
			`2:11: the " opening this string is never closed: end the string with ", and write \" for a " inside it`},
		{"children:\n  - name: 'app\n    run: app\n",
			`2:11: the ' opening this string is never closed: end the string with ', and write '' for a ' inside it`},
	} {
		_, err := config.Parse([]byte(c.yaml), "f.yaml", testRegistry())
		if got := problems(t, err); !slices.Equal(got, []string{c.want}) {
			t.Errorf("%q: problems:\n%s\nwant:\n%s", c.yaml, strings.Join(got, "\n"), c.want)
		}
	}
}
