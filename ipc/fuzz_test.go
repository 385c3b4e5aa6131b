package ipc

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRequest feeds the request decoder and every method's params decoder
// arbitrary lines: they never panic, a line they accept has an id and a
// method, and an error always has a code of the catalog and a message.
// The seeds are the golden requests and the malformed ones.
func FuzzRequest(f *testing.F) {
	for _, pattern := range []string{"testdata/protocol/*.request.json", "testdata/protocol/invalid/*.ndjson"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			var compact bytes.Buffer
			if json.Compact(&compact, b) == nil {
				b = compact.Bytes()
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, perr := parseRequest(line)
		if perr != nil {
			checkError(t, perr)
			return
		}
		if req.ID == "" || req.Method == "" {
			t.Fatalf("accepted %q without an id or a method", line)
		}
		for _, v := range []any{new(HelloParams), new(StateParams), new(SubscribeParams), new(LogsParams), new(CommandParams)} {
			if err := decodeParams(req, v); err != nil {
				checkError(t, err)
			}
		}
		var p CommandParams
		if decodeParams(req, &p) == nil {
			for _, cmd := range commands() {
				if err := checkCommand(&cmd, &p); err != nil {
					checkError(t, err)
				}
			}
		}
	})
}

func checkError(t *testing.T, err *Error) {
	t.Helper()
	if err.Code == "" || err.Message == "" {
		t.Fatalf("an error without a code or a message: %+v", err)
	}
}
