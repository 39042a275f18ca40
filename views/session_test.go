package views_test

import (
	"testing"
	"time"
)

// GET /session tells a single-page app who is there: null for a visitor,
// the user, roles, method and freshness after a login, and a CSRF token
// either way.
func TestSessionEndpoint(t *testing.T) {
	ve := newViewEnv(t, nil, nil)
	c := ve.jsonClient()
	status, resp, raw := c.do("GET", "/session", "")
	if status != 200 || resp["user"] != nil || resp["authenticated"] != false || resp["csrf_token"] == "" {
		t.Fatalf("a visitor: %d %s", status, raw)
	}
	c.do("GET", "/login", "")
	c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`)
	status, resp, raw = c.do("GET", "/session", "")
	user, _ := resp["user"].(map[string]any)
	roles, _ := resp["roles"].([]any)
	if status != 200 || user["email"] != "alice@example.com" || resp["method"] != "session" || resp["fresh"] != true ||
		len(roles) != 1 || roles[0] != "editor" || resp["csrf_token"] == "" {
		t.Fatalf("after login: %d %s", status, raw)
	}
	ve.clock.Advance(time.Hour) // past the freshness window
	if _, resp, raw := c.do("GET", "/session", ""); resp["fresh"] != false || resp["authenticated"] != true {
		t.Errorf("an hour later: %s", raw)
	}
}
