package gatehouse

import (
	"context"
	"net/http"
)

type ctxKey struct{}

// reqState is what gatehouse knows about one request. Authenticate (or the
// first guard, when Authenticate is not mounted) puts a pointer to it in the
// request context; Login, Logout and flashes update it in place, so the
// rest of the request sees the change.
type reqState struct {
	p      Principal
	authed bool
	err    error         // a store error while loading: guards answer 500
	sess   *sessionState // nil: no session
	token  string        // server-side session token, if any
}

// NewContext returns a copy of ctx carrying p, as Authenticate would. Use it
// in tests and in adapters for frameworks that are not net/http.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, &reqState{p: p, authed: p.User != nil})
}

// FromContext returns the principal of an authenticated request, and false
// for an anonymous one.
func FromContext(ctx context.Context) (Principal, bool) {
	st, _ := ctx.Value(ctxKey{}).(*reqState)
	if st == nil || !st.authed {
		return Principal{}, false
	}
	return st.p, true
}

// CurrentUser returns the request's user, or (nil, false) for an anonymous
// visitor. Gatehouse's anonymous user is the nil *User: its methods, such as
// HasRole, are safe to call and report nothing.
func CurrentUser(ctx context.Context) (*User, bool) {
	p, ok := FromContext(ctx)
	return p.User, ok
}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(ctxKey{}).(*reqState)
	return st
}

// ensure returns r's state, loading it (and returning a request carrying
// it) when Authenticate has not run: guards then work, and fail closed,
// without the loader middleware.
func (m *Manager) ensure(w http.ResponseWriter, r *http.Request) (*http.Request, *reqState) {
	if st := stateFrom(r.Context()); st != nil {
		return r, st
	}
	st := m.load(w, r)
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)), st
}
