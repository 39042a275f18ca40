package views_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// Hooks.Form adds the app's own checks to every form (a captcha here):
// without it the view answers the errors and does nothing; with it the
// view goes on. Each form is named as Flask-Security names it.
func TestFormHook(t *testing.T) {
	var seen []string
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Registerable, v.Recoverable, v.Confirmable, v.Changeable, v.Passwordless = true, true, true, true, true
		v.Hooks.Form = func(r *http.Request, form string, values map[string]string) views.FieldErrors {
			seen = append(seen, form)
			if values["captcha"] != "ok" {
				return views.FieldErrors{"captcha": {"Please solve the captcha."}}
			}
			return nil
		}
	}, nil)
	for _, tc := range []struct {
		form, path, body string
		login            bool
		okStatus         int
	}{
		{"login", "/login", `{"email":"alice@example.com","password":"` + alicePassword + `"`, false, 200},
		{"register", "/register", `{"email":"new@example.com","password":"a long passphrase 1"`, false, 200},
		{"send_confirmation", "/confirm", `{"email":"alice@example.com"`, false, 200},
		{"forgot_password", "/reset", `{"email":"alice@example.com"`, false, 200},
		{"passwordless_login", "/login", `{"email":"alice@example.com"`, false, 200},
		{"change_password", "/change", `{"password":"` + alicePassword + `","new_password":"another passphrase 2","new_password_confirm":"another passphrase 2"`, true, 200},
	} {
		c := ve.jsonClient()
		if tc.login {
			c.do("GET", "/login", "")
			c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`","captcha":"ok"}`)
		}
		c.do("GET", tc.path, "")
		seen = nil
		status, resp, raw := c.do("POST", tc.path, tc.body+"}")
		if status != 400 || !strings.Contains(raw, "Please solve the captcha.") {
			t.Errorf("%s without the captcha: %d %s", tc.form, status, raw)
		}
		if fe, _ := resp["field_errors"].(map[string]any); fe["captcha"] == nil {
			t.Errorf("%s: no field error for captcha: %v", tc.form, resp)
		}
		if len(seen) != 1 || seen[0] != tc.form {
			t.Errorf("the hook saw %v, want %s", seen, tc.form)
		}
		if status, _, raw := c.do("POST", tc.path, tc.body+`,"captcha":"ok"}`); status != tc.okStatus {
			t.Errorf("%s with the captcha: %d %s", tc.form, status, raw)
		}
	}
	// reset_password, from the link just mailed.
	var link string
	for _, m := range ve.sent() {
		if m.Kind == "reset_instructions" {
			link = strings.TrimPrefix(linkIn(m.Text), "https://app.example.com")
		}
	}
	c := ve.jsonClient()
	c.do("GET", link, "")
	if status, _, raw := c.do("POST", link, `{"password":"a fresh passphrase 3","password_confirm":"a fresh passphrase 3"}`); status != 400 || !strings.Contains(raw, "captcha") {
		t.Errorf("reset_password without the captcha: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", link, `{"password":"a fresh passphrase 3","password_confirm":"a fresh passphrase 3","captcha":"ok"}`); status != 200 {
		t.Errorf("reset_password with the captcha: %d %s", status, raw)
	}
}

// Two apps' form checks and receivers, joined with Also.
func TestViewsHooksAlso(t *testing.T) {
	n := 0
	a := views.Hooks{
		Registered: func(context.Context, *gatehouse.User) { n++ },
		Form: func(*http.Request, string, map[string]string) views.FieldErrors {
			return views.FieldErrors{"captcha": {"solve it"}}
		},
	}
	b := views.Hooks{
		Registered: func(context.Context, *gatehouse.User) { n += 10 },
		Form: func(*http.Request, string, map[string]string) views.FieldErrors {
			return views.FieldErrors{"terms": {"accept them"}}
		},
	}
	h := a.Also(b)
	h.Registered(context.Background(), nil)
	if n != 11 {
		t.Errorf("receivers ran to %d, want 11", n)
	}
	if fe := h.Form(nil, "register", nil); len(fe["captcha"]) != 1 || len(fe["terms"]) != 1 {
		t.Errorf("merged form errors: %v", fe)
	}
	if h.PasswordReset != nil {
		t.Error("a hook neither side has is set")
	}
	var got []string
	on := func(name string) func(context.Context, *gatehouse.User, []string, bool) {
		return func(_ context.Context, _ *gatehouse.User, methods []string, deleted bool) {
			got = append(got, name+":"+strings.Join(methods, ","))
		}
	}
	h = views.Hooks{SigninChanged: on("a"), SigninCodeSent: func(context.Context, *gatehouse.User, string) { n++ }}.
		Also(views.Hooks{SigninChanged: on("b")})
	h.SigninChanged(context.Background(), nil, []string{"email"}, false)
	h.SigninCodeSent(context.Background(), nil, "email")
	if !slices.Equal(got, []string{"a:email", "b:email"}) || n != 12 {
		t.Errorf("joined sign-in receivers: %v, %d", got, n)
	}
}

// FactorsChanged hears of every change to a user's second factors
// (tf_profile_changed, tf_disabled, ...), with the change's key.
func TestFactorsChangedHook(t *testing.T) {
	var changes []string
	ve := newTwoFactorEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Hooks.FactorsChanged = func(_ context.Context, u *gatehouse.User, change string) {
			if u.Email != "alice@example.com" {
				t.Errorf("FactorsChanged for %s", u.Email)
			}
			changes = append(changes, change)
		}
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	if len(changes) == 0 || changes[0] != "TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL" {
		t.Errorf("after setting up an authenticator: %v", changes)
	}
}

// TwoFactorCodeSent hears of every code mailed (tf_security_token_sent),
// once the mail is out; TwoFactorCodeConfirmed of every code that
// completes a login (tf_code_confirmed).
func TestTwoFactorCodeHooks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []string
	record := func(what string) func(context.Context, *gatehouse.User, string) {
		return func(_ context.Context, u *gatehouse.User, method string) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, what+":"+u.Email+":"+method)
		}
	}
	ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.TwoFactor.RequiredRoles = []string{"editor"}
		v.Hooks.TwoFactorCodeSent = record("sent")
		v.Hooks.TwoFactorCodeConfirmed = record("confirmed")
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	c.do("POST", "/tf-setup", `{"setup":"email"}`)
	if len(events) != 0 {
		t.Fatalf("a hook before the mail went out: %v", events)
	}
	good := lastCode(t, ve)
	if status, _, raw := c.do("POST", "/tf-validate", `{"code":"`+good+`"}`); status != 200 {
		t.Fatalf("validate: %d %s", status, raw)
	}
	want := []string{"sent:alice@example.com:email", "confirmed:alice@example.com:email"}
	if !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
}
