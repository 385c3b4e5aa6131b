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
// match their golden files under testdata, speak the one vocabulary, and
// read back into their Go types: encoded again, they are the same.
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
		for _, c := range []struct {
			file, target string
			back         any // what the body decodes into
		}{
			{"state.json", "/state", new(supervisor.Snapshot)},
			{"journal.json", "/journal", new(supervisor.Journal)},
			{"journal_after.json", "/journal?after=9", new(supervisor.Journal)},
			{"readyz.json", "/readyz", new(supervisorhttp.ReadinessReport)},
		} {
			w := get(h, http.MethodGet, c.target)
			if w.Code != http.StatusOK && w.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s = %d %s", c.target, w.Code, w.Body)
			}
			body := w.Body.Bytes()
			golden.CheckVocabulary(t, body)
			golden.Compare(t, "testdata/"+c.file, body, ids)
			golden.ReadBack(t, body, c.back)
		}
	})
}
