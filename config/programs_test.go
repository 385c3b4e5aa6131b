package config_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

// Programs lists the program of every exec child, nested ones included,
// in file order, with the child's path in the tree and the positions of
// exec.path and exec.dir; a key an alias or a merge key brought in is
// placed at the nearest key written in its place, not in the anchor.
func TestPrograms(t *testing.T) {
	const file = "\ufeffname: shop\n" + // 1
		"children:\n" + // 2
		"  - name: api\n" + // 3
		"    run: api\n" + // 4
		"  - name: db\n" + // 5
		"    exec: &db {path: /usr/bin/postgres, dir: /srv/db}\n" + // 6
		"  - name: workers\n" + // 7
		"    supervisor:\n" + // 8
		"      children:\n" + // 9
		"        - name: w1\n" + // 10
		"          exec:\n" + // 11
		"            args: [x]\n" + // 12
		"            path: ./worker\n" + // 13
		"        - name: w2\n" + // 14
		"          exec: *db\n" + // 15
		"        - name: w3\n" + // 16
		"          exec:\n" + // 17
		"            <<: *db\n" + // 18
		"            dir: /tmp\n" // 19
	var reg config.Registry
	reg.Func("api", idle)
	got, err := (&config.Loader{Registry: &reg}).Programs([]byte(file), "shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := func(key string, line, col int, source string) config.Position {
		return config.Position{Key: key, Line: line, Column: col, Source: source}
	}
	want := []config.Program{
		{Path: "/db", Program: "/usr/bin/postgres", At: at("children[1].exec.path", 6, 16, "    exec: &db {path: /usr/bin/postgres, dir: /srv/db}"),
			Dir: "/srv/db", DirAt: at("children[1].exec.dir", 6, 41, "    exec: &db {path: /usr/bin/postgres, dir: /srv/db}")},
		{Path: "/workers/w1", Program: "./worker", At: at("children[2].supervisor.children[0].exec.path", 13, 13, "            path: ./worker")},
		{Path: "/workers/w2", Program: "/usr/bin/postgres", At: at("children[2].supervisor.children[1].exec.path", 15, 11, "          exec: *db"),
			Dir: "/srv/db", DirAt: at("children[2].supervisor.children[1].exec.dir", 15, 11, "          exec: *db")},
		{Path: "/workers/w3", Program: "/usr/bin/postgres", At: at("children[2].supervisor.children[2].exec.path", 17, 11, "          exec:"),
			Dir: "/tmp", DirAt: at("children[2].supervisor.children[2].exec.dir", 19, 13, "            dir: /tmp")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Programs:\n got %+v\nwant %+v", got, want)
	}

	// A file Parse rejects is its *Error, and no programs.
	got, err = (&config.Loader{}).Programs([]byte(file), "shop.yaml")
	var ce *config.Error
	if !errors.As(err, &ce) || got != nil || len(ce.Problems) != 1 || ce.Problems[0].Path != "children[0].run" {
		t.Fatalf("Programs of an invalid file: %v, %v", got, err)
	}
	// A file without exec children has no programs.
	if got, err := (&config.Loader{}).Programs([]byte("children: []\n"), ""); err != nil || got != nil {
		t.Fatalf("Programs without exec children: %v, %v", got, err)
	}
}
