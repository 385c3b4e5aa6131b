package supervisorhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisorhttp"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Mount the probes and the debug endpoints on a service's own mux.
func ExampleMount() {
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{
		{Name: "db", Run: supervisortest.Idle},
	}})
	if err != nil {
		panic(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "example", Why: "done"})

	mux := http.NewServeMux()
	supervisorhttp.Mount(mux, "/healthz", tree,
		supervisorhttp.IgnoreStates(supervisor.StatePaused)) // pausing a child keeps the pod ready
	// A real service would run http.ListenAndServe(":8080", mux).

	for _, path := range []string{"/healthz/livez", "/healthz/readyz"} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, w.Code)
	}
	// Output:
	// /healthz/livez 200
	// /healthz/readyz 200
}
