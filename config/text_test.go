package config_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-supervisor/supervisor/config"
)

// rawControl reports the first control byte of s other than a line end,
// which a message must never hold: printed to a terminal, it could move
// the cursor, change colours or hide text.
func rawControl(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n') || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

// Keys, names and values a message echoes are escaped, as Go quotes them:
// control and invisible characters as \x1b, \u202e.
func TestMessagesEscapeText(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "children:\n  - name: a\n    run: app\n    \"re\\x1bstart\": x\n",
			[]string{`4:5: children[0]."re\x1bstart": unknown key: did you mean restart?`}},
		{"duplicate key", "children:\n  - name: a\n    run: app\n    \"a\\x01\": 1\n    \"a\\x01\": 2\n",
			[]string{
				`4:5: children[0]."a\x01": unknown key: the keys here are name, run, exec, supervisor, restart, readiness, role, primary, group, significant, start_timeout, shutdown, backoff, quarantine, liveness, rules`,
				`5:5: children[0]."a\x01": duplicate key: "a\x01" is already set at line 4:5; keep one`,
			}},
		{"block scalar", "children:\n  - name: a\n    run: app\n    significant: |\n      ye\u202es\n",
			[]string{`4:5: children[0].significant: must be true or false, not "ye\u202es\n"`}},
		{"env key", "children:\n  - name: a\n    exec:\n      path: /bin/true\n      env: {\"A\\eB\": x, \"C\\u200bD\": y}\n",
			[]string{
				`5:13: children[0].exec.env."A\x1bB": "A\x1bB" is not a variable name: it holds '\x1b', which is not printable; remove it`,
				`5:24: children[0].exec.env."C\u200bD": "C\u200bD" is not a variable name: it holds '\u200b', which is not printable; remove it`,
			}},
		{"tree name", "name: \"shop\\e[31m\"\nchildren: []\n",
			[]string{`1:1: name: "shop\x1b[31m" holds '\x1b', which is not printable: the name is printed in logs; remove it`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.yaml), "f.yaml", testRegistry())
			if err == nil {
				t.Fatal("Parse accepted the file")
			}
			if b, ok := rawControl(err.Error()); ok {
				t.Errorf("the error holds the raw byte %#x: %q", b, err.Error())
			}
			if got := problems(t, err); !slices.Equal(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// A YAML file is UTF-8 text: a byte that is not UTF-8, or a control
// character YAML does not allow, is a problem at its place, whatever it is
// part of, rather than a name or value the parser silently changed.
func TestTextNotUTF8(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"child name", "children:\n  - name: caf\xe9\n    run: app\n",
			[]string{"2:14: byte 0xe9 is not UTF-8, which a YAML file is written in: save the file as UTF-8"}},
		{"tree name", "name: tr\xffee\nchildren: []\n",
			[]string{"1:9: byte 0xff is not UTF-8, which a YAML file is written in: save the file as UTF-8"}},
		{"comment, twice", "# caf\xe9\nchildren: [] # \xff\xfe\n",
			[]string{
				"1:6: byte 0xe9 is not UTF-8, which a YAML file is written in: save the file as UTF-8",
				"2:16: byte 0xff is not UTF-8, which a YAML file is written in: save the file as UTF-8",
			}},
		{"control", "name: a\x01b\nchildren: []\n",
			[]string{`1:8: control character U+0001 is not allowed in a YAML file: remove it, or write it as "\x01" in a double-quoted string`}},
		{"delete", "children:\n  - name: a\n    run: app\x7f\n",
			[]string{`3:13: control character U+007F is not allowed in a YAML file: remove it, or write it as "\x7f" in a double-quoted string`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.yaml), "f.yaml", testRegistry())
			if err == nil {
				t.Fatal("Parse accepted the file")
			}
			if b, ok := rawControl(err.Error()); ok || !utf8.ValidString(err.Error()) {
				t.Errorf("the error holds the raw byte %#x, or is not UTF-8: %q", b, err.Error())
			}
			if got := problems(t, err); !slices.Equal(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
