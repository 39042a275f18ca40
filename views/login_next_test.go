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

// LoginURL builds Flask-Login's login_url: the engine's login page, else
// the views', with a safe next.
func TestLoginURL(t *testing.T) {
	for _, tc := range []struct {
		loginURL, prefix, next, want string
		allowed                      []string
	}{
		{"/login", "", "/orders?id=7", "/login?next=%2Forders%3Fid%3D7", nil},
		{"/login", "", "", "/login", nil},
		{"/login?lang=de", "", "/me", "/login?lang=de&next=%2Fme", nil},
		{"/login", "", "https://evil.example/", "/login", nil},
		{"/login", "", "//evil.example/", "/login", nil},
		{"/login", "", "https://shop.example.com/cart", "/login?next=https%3A%2F%2Fshop.example.com%2Fcart", []string{"shop.example.com"}},
		{"", "/auth", "/orders", "/auth/login?next=%2Forders", nil},
	} {
		ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
			c.LoginURL, c.AllowedRedirectHosts = tc.loginURL, tc.allowed
			v.Prefix = tc.prefix
		}, nil)
		if got := ve.v.LoginURL(tc.next); got != tc.want {
			t.Errorf("LoginURL(%q) with %q = %q, want %q", tc.next, tc.loginURL, got, tc.want)
		}
	}
}
