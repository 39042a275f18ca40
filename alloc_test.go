package gatehouse_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/testutil"
)

// hotPathAllocs are the allocation budgets of one authenticated request
// (see hotPath), the handler's own included. Counts are deterministic
// where timings are noise: a change that adds an allocation fails here.
// Lower a budget when a change saves some; raise one only with a reason
// in the commit.
var hotPathAllocs = map[string]float64{
	"bare":     2,
	"session":  22,
	"remember": 50,
	"token":    29,
}

func TestHotPathAllocations(t *testing.T) {
	if testutil.RaceEnabled {
		t.Skip("the race detector allocates on its own: scripts/test.sh runs this without it")
	}
	for _, c := range hotPath(t) {
		w := &countingWriter{header: http.Header{}}
		got := testing.AllocsPerRun(200, func() {
			clear(w.header)
			w.status = 0
			c.handler.ServeHTTP(w, c.req)
		})
		if w.status != http.StatusOK {
			t.Fatalf("%s: status %d", c.name, w.status)
		}
		if budget := hotPathAllocs[c.name]; got > budget {
			t.Errorf("%s: %.0f allocations per request, over the budget of %.0f", c.name, got, budget)
		} else if got < budget {
			t.Logf("%s: %.0f allocations per request, under the budget of %.0f: lower it", c.name, got, budget)
		}
	}
}

// countingWriter is a ResponseWriter that keeps nothing but the status,
// so that only the request's own allocations are counted.
type countingWriter struct {
	header http.Header
	status int
}

func (w *countingWriter) Header() http.Header { return w.header }

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
