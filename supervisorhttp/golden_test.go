package supervisorhttp_test

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/golden"
	"github.com/go-supervisor/supervisor/supervisorhttp"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// The JSON bodies of /state, /journal, /journal?after=SEQ and /readyz
// match their golden files under testdata and speak the one vocabulary.
func TestGoldenBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := &supervisortest.Child{}
		tree := supervisortest.Start(t, supervisor.Spec{Name: "http", Seed: 1, Children: []supervisor.Child{
			{Name: "db", Run: db.Run, Backoff: supervisor.Backoff{Initial: 2 * time.Second}},
			{Name: "workers", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "w1", Run: supervisortest.Idle}}}},
		}})
		time.Sleep(time.Second)
		db.Fail(errors.New("dial tcp 10.0.0.7:5432: connection refused"))
		synctest.Wait()
		if err := tree.PauseChild(t.Context(), "/workers/w1", supervisor.Audit{Who: "alice", Why: "maintenance"}); err != nil {
			t.Fatal(err)
		}
		h := supervisorhttp.Handler(tree)
		ids := map[string]string{tree.ID(): "7ree1d00"}
		for file, target := range map[string]string{
			"state.json":         "/state",
			"journal.json":       "/journal",
			"journal_after.json": "/journal?after=9",
			"readyz.json":        "/readyz",
		} {
			w := get(h, http.MethodGet, target)
			if w.Code != http.StatusOK && w.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s = %d %s", target, w.Code, w.Body)
			}
			golden.CheckVocabulary(t, w.Body.Bytes())
			golden.Compare(t, "testdata/"+file, w.Body.Bytes(), ids)
		}
	})
}
