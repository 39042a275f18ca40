package gatehouse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// Several receivers per event: Also calls both, in order; a receiver
// missing on either side is no trouble; IdentityLoaded's permissions add
// up.
func TestHooksAlso(t *testing.T) {
	var calls []string
	a := gatehouse.Hooks{
		LoggedIn:       func(context.Context, *gatehouse.User) { calls = append(calls, "a") },
		IdentityLoaded: func(context.Context, gatehouse.Principal) []string { return []string{"read"} },
		LoginFailed:    func(context.Context, string, string, string) { calls = append(calls, "a failed") },
	}
	b := gatehouse.Hooks{
		LoggedIn:       func(context.Context, *gatehouse.User) { calls = append(calls, "b") },
		LoggedOut:      func(context.Context, *gatehouse.User) { calls = append(calls, "b out") },
		IdentityLoaded: func(context.Context, gatehouse.Principal) []string { return []string{"write"} },
	}
	h := a.Also(b)
	ctx := context.Background()
	h.LoggedIn(ctx, nil)
	h.LoggedOut(ctx, nil)
	h.LoginFailed(ctx, "", "", "")
	if want := []string{"a", "b", "b out", "a failed"}; !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	if got := h.IdentityLoaded(ctx, gatehouse.Principal{}); !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("permissions %v", got)
	}
	if h.Throttled != nil || h.UserLoaded != nil {
		t.Error("a hook neither side has is set")
	}
}

// UserLoaded says how each request's user was loaded (Flask-Login's
// user_loaded_from_cookie/_request/_header); IdentityLoaded grants
// permissions per request (Flask-Principal's identity_loaded).
func TestUserLoadedAndIdentityLoaded(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var methods []gatehouse.Method
	e := newEnv(t, func(c *gatehouse.Config) {
		c.TokenAuth = true
		c.Hooks.UserLoaded = func(_ context.Context, p gatehouse.Principal) {
			mu.Lock()
			defer mu.Unlock()
			methods = append(methods, p.Method)
		}
		c.Hooks.IdentityLoaded = func(_ context.Context, p gatehouse.Principal) []string {
			if p.Method == gatehouse.MethodToken {
				return []string{"api:read"}
			}
			return nil
		}
	})
	guarded := e.m.Authenticate(e.m.Require(gatehouse.Policy{Permissions: []string{"api:read"}})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	tok := e.m.AuthToken(e.user)
	for _, tc := range []struct {
		token  string
		status int
	}{{tok, 200}, {"", 401}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", "application/json")
		if tc.token != "" {
			r.Header.Set("Authentication-Token", tc.token)
		}
		w := httptest.NewRecorder()
		guarded.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("token %v: %d, want %d", tc.token != "", w.Code, tc.status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(methods, []gatehouse.Method{gatehouse.MethodToken}) {
		t.Errorf("UserLoaded saw %v, want one token load", methods)
	}
}
