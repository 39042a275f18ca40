package views_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// Logout honours a "next" that stays on the site (Flask-Security's
// logout does), and drops one that leaves it.
func TestLogoutNext(t *testing.T) {
	for _, tc := range []struct{ next, want string }{
		{"", "/"},
		{"/goodbye", "/goodbye"},
		{"/account?tab=1", "/account?tab=1"},
		{"https://evil.example/", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
	} {
		ve := newViewEnv(t, nil, nil)
		b := ve.browser()
		if got := b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword}); got.status != http.StatusSeeOther {
			t.Fatalf("login: %d", got.status)
		}
		path := "/logout"
		if tc.next != "" {
			path += "?next=" + url.QueryEscape(tc.next)
		}
		got := b.get(path) // a logout link, as Flask-Security templates have them
		if got.status != http.StatusSeeOther || got.location != tc.want {
			t.Errorf("logout with next=%q: %d to %q, want %q", tc.next, got.status, got.location, tc.want)
		}
	}
}

// Without Config.LoginURL, the engine's LoginURL (Flask-Login's login_url)
// points at the login view where it is mounted.
func TestLoginURLFollowsTheViews(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		c.LoginURL = ""
		v.Prefix = "/auth"
	}, nil)
	if got, want := ve.m.LoginURL("/orders"), "/auth/login?next=%2Forders"; got != want {
		t.Errorf("LoginURL = %q, want %q", got, want)
	}
}
