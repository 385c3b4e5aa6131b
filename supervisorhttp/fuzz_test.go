package supervisorhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisorhttp"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// FuzzHandler sends any method and request target to Handler: it must
// never panic, answer only with the documented statuses (or ServeMux's
// redirect to a clean path), label its body,
// and answer a GET of /state or of /journal with a valid after=SEQ with
// JSON.
func FuzzHandler(f *testing.F) {
	for _, s := range [][2]string{
		{"GET", "/livez"}, {"GET", "/readyz"}, {"HEAD", "/state"}, {"GET", "/journal?after=3"},
		{"GET", "/journal?after=-1"}, {"GET", "/journal?after=1&after=2"}, {"POST", "/state"},
		{"GET", "/nope"}, {"GET", "/journal?after=18446744073709551616"}, {"GET", "/%2e%2e/state"},
	} {
		f.Add(s[0], s[1])
	}
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{
		{Name: "a", Run: supervisortest.Idle},
		{Name: "b", Run: supervisortest.Exit(nil), Restart: supervisor.Transient},
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "done"}) })
	h := supervisorhttp.Handler(tree)
	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.NewRequest(method, "http://host"+target, nil)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusServiceUnavailable:
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			// http.ServeMux sends an unclean path ("/.", "//state") to
			// its clean form.
			if w.Header().Get("Location") == "" {
				t.Fatalf("%s %s: redirect without Location", method, target)
			}
		default:
			t.Fatalf("%s %s: status %d", method, target, w.Code)
		}
		if w.Body.Len() > 0 && w.Header().Get("Content-Type") == "" {
			t.Fatalf("%s %s: a body without Content-Type", method, target)
		}
		if method == http.MethodGet && w.Code == http.StatusOK &&
			(req.URL.Path == "/state" || req.URL.Path == "/journal") && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: not JSON: %q", method, target, w.Body)
		}
	})
}
