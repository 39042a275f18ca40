package gatehouse

import (
	"context"
	"html/template"
	"net/http"
)

// FuncMap returns functions for html/template pages to show the current
// user. Each takes the request or its context:
//
//	{{with currentUser .Request}}Hello, {{.Email}}{{else}}<a href="/login">Log in</a>{{end}}
//	{{if hasRole .Request "admin"}}<a href="/admin">Admin</a>{{end}}
//
// Functions: currentUser (the *User, nil when anonymous), isAuthenticated,
// isFresh, hasRole.
func (m *Manager) FuncMap() template.FuncMap {
	return template.FuncMap{
		"currentUser": func(v any) *User {
			u, _ := CurrentUser(ctxOf(v))
			return u
		},
		"isAuthenticated": func(v any) bool {
			_, ok := FromContext(ctxOf(v))
			return ok
		},
		"isFresh": func(v any) bool {
			p, ok := FromContext(ctxOf(v))
			return ok && m.fresh(p, m.cfg.Session.FreshFor)
		},
		"hasRole": func(v any, role string) bool {
			u, _ := CurrentUser(ctxOf(v))
			return u.HasRole(role)
		},
	}
}

func ctxOf(v any) context.Context {
	switch v := v.(type) {
	case *http.Request:
		return v.Context()
	case context.Context:
		return v
	}
	return context.Background()
}
