package gatehouse

import (
	"context"
	"net/http"
	"time"
)

type ctxKey struct{}

// reqState is what gatehouse knows about one request, and what it must
// still write. load fills it in without writing anything; commit writes
// what it records. Authenticate (or the first guard, when Authenticate is
// not mounted) puts a pointer to it in the request context; Login, Logout
// and flashes change it in place and commit, so the rest of the request
// sees the change.
type reqState struct {
	p      Principal
	authed bool
	err    error         // a store error while loading: guards answer it (503 or 500)
	sess   *sessionState // nil: no session
	token  string        // server-side session token, if any
	client string        // the client's address as limits count it ("" if unknown)

	// What commit must do.
	dirty         bool          // write sess (or, if nil, delete the session)
	clearCookie   bool          // the session cookie was unusable: delete it
	oldToken      string        // a server-side session to delete
	clearRemember bool          // the remember cookie is void: delete it
	renewRemember *User         // set a new remember cookie for this user...
	rememberFor   time.Duration // ...lasting this long
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

// clientOf is the client of the request ctx belongs to, as limits and the
// hash queue count it; "" when it is not known (no Authenticate).
func clientOf(ctx context.Context) string {
	if st, _ := ctx.Value(ctxKey{}).(*reqState); st != nil {
		return st.client
	}
	return ""
}

// ensure returns r's state, loading it (and returning a request carrying
// it) when Authenticate has not run: guards then work, and fail closed,
// without the loader middleware. With w, what loading decided is written
// at once; without (Check), nothing is.
func (m *Manager) ensure(w http.ResponseWriter, r *http.Request) (*http.Request, *reqState) {
	if st, _ := r.Context().Value(ctxKey{}).(*reqState); st != nil {
		return r, st
	}
	st := m.load(r)
	m.loaded(r.Context(), st)
	if w != nil {
		m.commit(w, r, st)
	}
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)), st
}
