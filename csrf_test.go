package gatehouse_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// CSRFToken works in a handler that Authenticate does not wrap: the token
// it returns is the one the cookie it sets will check against.
func TestCSRFTokenWithoutAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rec := httptest.NewRecorder()
	tok := e.m.CSRFToken(rec, httptest.NewRequest("GET", "/", nil))
	if tok == "" {
		t.Fatal("no token")
	}
	guarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.m.CheckCSRF(r, ""); err != nil {
			e.m.WriteError(w, r, err)
			return
		}
		w.WriteHeader(204)
	})
	req := httptest.NewRequest("POST", "/thing", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	req.Header.Set("X-CSRF-Token", tok)
	out := httptest.NewRecorder()
	guarded.ServeHTTP(out, req)
	if out.Code != 204 {
		t.Errorf("token from CSRFToken refused: %d", out.Code)
	}
}
