package views_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/views"
)

// The CSRF refusal of a JSON request speaks the request's language.
func TestCSRFMessageTranslated(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, nil, nil)
	c := ve.jsonClient()
	c.lang = "de"
	status, _, raw := c.do("POST", "/login", `{"email":"alice@example.com","password":"x"}`)
	if status != 400 || !strings.Contains(raw, "CSRF-Token fehlt") {
		t.Errorf("JSON CSRF failure in German: %d %s", status, raw)
	}
}

// /change cannot set a first password: that needs the mailed reset link.
func TestChangeNeedsAPasswordToChange(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.Changeable = true }, nil)
	u := ve.addUser("nopw@example.com", "placeholder pw 1")
	empty := ""
	ve.store.UpdateUser(context.Background(), u.ID, gatehouse.UserChange{PasswordHash: &empty, UpdatedAt: time.Now()})
	// Log in without a password, as a passwordless link would.
	ve.web.Config.Handler = ve.m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/as-nopw" {
			ve.m.Login(w, r, u, gatehouse.LoginOptions{})
			return
		}
		mux := http.NewServeMux()
		ve.v.Mount(mux)
		mux.ServeHTTP(w, r)
	}))
	c := ve.jsonClient()
	c.do("GET", "/as-nopw", "")
	c.do("GET", "/change", "")
	status, resp, raw := c.do("POST", "/change", `{"new_password":"a brand new one 42","new_password_confirm":"a brand new one 42"}`)
	if status != 400 || !strings.Contains(raw, "no password yet") {
		t.Errorf("first password through /change: %d %s", status, raw)
	}
	_ = resp
	got, _ := ve.store.UserByID(context.Background(), u.ID)
	if got.PasswordHash != "" {
		t.Error("a first password was set without proof")
	}
}

// New passwords: not based on the account or the site, blocklist in any
// spelling, and what bcrypt cannot take is a field error, not a 500.
func TestNewPasswordRules(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Registerable, vc.AppName = true, "Gatehouse"
		vc.BaseURL = "https://app.acmewidgets.com"
		c.Hasher = password.Bcrypt{Cost: 4}
	}, nil)
	c := ve.jsonClient()
	c.do("GET", "/register", "")
	for _, tc := range []struct{ email, pw, want string }{
		{"carol.smith@example.com", "carol.smith@example.com", "based on"},
		{"carol.smith@example.com", "Carol.Smith2024!", "based on"},
		{"carol.smith@example.com", "gatehouse!!", "based on"},
		{"carol.smith@example.com", "AcmeWidgets1", "based on"},
		{"carol.smith@example.com", "ｐａｓｓｗｏｒｄ１２３", "not complex"},
		{"carol.smith@example.com", strings.Repeat("long pass ", 8), "too long"},
	} {
		status, _, raw := c.do("POST", "/register", `{"email":"`+tc.email+`","password":"`+tc.pw+`"}`)
		if status != 400 || !strings.Contains(strings.ToLower(raw), tc.want) {
			t.Errorf("password %q: %d %s, want a field error with %q", tc.pw, status, raw, tc.want)
		}
	}
}
