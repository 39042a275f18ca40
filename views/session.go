package views

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// sessionView answers GET on the session path, always as JSON: who the
// request's user is, for a single-page app deciding what to show (with
// the CSRF token its next POST needs). An anonymous visitor gets
// "user": null; a logged-in one the user payload, roles, the method
// ("session", "remember", "token", "basic", "request"), when they
// authenticated, and whether the login is fresh (what RequireFresh
// lets through).
func (v *Views) sessionView() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, ok := gatehouse.FromContext(r.Context())
		if !ok {
			v.ok(w, r, map[string]any{"user": nil, "authenticated": false})
			return
		}
		fresh := p.Fresh && v.cfg.Now().Sub(p.AuthTime) <= v.auth.Config().Session.FreshFor
		roles := p.User.Roles
		if roles == nil {
			roles = []string{}
		}
		v.ok(w, r, map[string]any{
			"user": v.userPayload(p.User), "authenticated": true, "roles": roles,
			"method": p.Method.String(), "authenticated_at": p.AuthTime.UTC().Format(time.RFC3339), "fresh": fresh,
		})
	})
}
