package gatehouse_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// A Policy can name its own login page (Flask-Login's
// blueprint_login_views) and Basic realm (Flask-Security's
// http_auth_required(realm)); other routes keep the Config's.
func TestPolicyLoginURLAndRealm(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		BasicAuth: true, LoginURL: "/login", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /admin/users", m.Require(gatehouse.Policy{LoginURL: "/admin/login", BasicRealm: "Admin area"})(ok))
	mux.Handle("GET /api/data", m.Require(gatehouse.Policy{BasicRealm: "API"})(ok))
	mux.Handle("GET /me", m.RequireLogin(ok))
	h := m.Authenticate(mux)
	for _, tc := range []struct {
		path, accept    string
		status          int
		location, realm string
	}{
		{"/admin/users", "text/html", http.StatusSeeOther, "/admin/login?next=%2Fadmin%2Fusers", ""},
		{"/admin/users", "application/json", http.StatusUnauthorized, "", `Basic realm="Admin area"`},
		{"/api/data", "application/json", http.StatusUnauthorized, "", `Basic realm="API"`},
		{"/api/data", "text/html", http.StatusSeeOther, "/login?next=%2Fapi%2Fdata", ""},
		{"/me", "text/html", http.StatusSeeOther, "/login?next=%2Fme", ""},
		{"/me", "application/json", http.StatusUnauthorized, "", `Basic realm="Login Required"`},
	} {
		r := httptest.NewRequest("GET", "https://example.com"+tc.path, nil)
		r.Header.Set("Accept", tc.accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("Location") != tc.location || tc.realm != "" && w.Header().Get("WWW-Authenticate") != tc.realm {
			t.Errorf("%s (%s): %d, Location %q, WWW-Authenticate %q; want %d, %q, %q", tc.path, tc.accept,
				w.Code, w.Header().Get("Location"), w.Header().Get("WWW-Authenticate"), tc.status, tc.location, tc.realm)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a realm with a quote was accepted")
		}
	}()
	m.Require(gatehouse.Policy{BasicRealm: `a"b`})
}
