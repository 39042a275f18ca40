package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors. Match them with [errors.Is]; stores and handlers wrap them
// with context. [StatusCode] maps every one to the HTTP status gatehouse's own
// handlers answer with.
var (
	// ErrNotFound is the store contract for a missing record.
	ErrNotFound = errors.New("gatehouse: not found")
	// ErrDuplicate is the store contract for a uniqueness clash.
	ErrDuplicate = errors.New("gatehouse: already exists")
	// ErrInvalidCredentials is returned for an unknown identity or a wrong
	// password alike, so callers cannot tell which one failed.
	ErrInvalidCredentials = errors.New("gatehouse: invalid credentials")
	// ErrInactive is returned when a deactivated user tries to log in.
	ErrInactive = errors.New("gatehouse: account disabled")
	// ErrTokenInvalid covers every token that is malformed, forged, expired,
	// used, superseded or meant for another purpose.
	ErrTokenInvalid = errors.New("gatehouse: token invalid or expired")
	// ErrTokenExpired is the ErrTokenInvalid of a genuine one-time token
	// whose time has passed (Flask-Security's get_token_status says
	// "expired"): PeekToken and RedeemToken return it with the token's
	// user, so a view can say so and send a new link. errors.Is(err,
	// ErrTokenInvalid) holds for it too.
	ErrTokenExpired = fmt.Errorf("%w: expired", ErrTokenInvalid)
	// ErrUnauthenticated means the request carries no valid credentials.
	ErrUnauthenticated = errors.New("gatehouse: authentication required")
	// ErrForbidden means the user is known but lacks a role or permission.
	ErrForbidden = errors.New("gatehouse: permission denied")
	// ErrNotFresh means the route needs a recent login with credentials.
	ErrNotFresh = errors.New("gatehouse: recent authentication required")
	// ErrAnonymousRequired means the route is only for visitors who are not
	// logged in (Flask-Security's anonymous_user_required).
	ErrAnonymousRequired = errors.New("gatehouse: only for visitors who are not logged in")
	// ErrRateLimited means a rate limit was hit; a [*RetryAfterError] says
	// when to try again.
	ErrRateLimited = errors.New("gatehouse: too many attempts")
	// ErrBadRequest covers malformed input: a body that is not what the
	// endpoint takes, invalid UTF-8, wrong types.
	ErrBadRequest = errors.New("gatehouse: bad request")
	// ErrTooLarge means a request body or field is over its size limit.
	ErrTooLarge = errors.New("gatehouse: request too large")
	// ErrCSRF means a state-changing request failed cross-site request
	// forgery checks.
	ErrCSRF = errors.New("gatehouse: CSRF check failed")
	// ErrConflict is the store contract for a conditional change whose
	// condition no longer held (see [UserChange.IfPasswordHash]) or a mail
	// job claimed by another worker.
	ErrConflict = errors.New("gatehouse: changed concurrently")
	// ErrUnavailable means a store or the password hasher cannot serve the
	// request now: a database that is down, frozen, full, read-only or
	// locked, or more logins waiting to hash than the limit allows. It is
	// answered 503 with Retry-After; a [*RetryAfterError] carries the wait.
	// Stores wrap such failures with it.
	ErrUnavailable = errors.New("gatehouse: temporarily unavailable")
)

// RetryAfterError is an error that says when to try again: a limit was hit
// (it wraps ErrRateLimited, answered 429) or a store or the password
// hasher cannot serve now (it wraps ErrUnavailable, answered 503). Both
// answers carry Retry-After.
type RetryAfterError struct {
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.RetryAfter.Round(time.Second))
}

// Unwrap returns Err.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// statusCodes is the one table from errors to HTTP statuses (wtf's codes).
var statusCodes = []struct {
	err    error
	status int
}{
	{ErrUnauthenticated, http.StatusUnauthorized},
	{ErrNotFresh, http.StatusUnauthorized},
	{ErrForbidden, http.StatusForbidden},
	{ErrCSRF, http.StatusForbidden},
	{ErrUnavailable, http.StatusServiceUnavailable},
	{context.Canceled, http.StatusServiceUnavailable},
	{context.DeadlineExceeded, http.StatusServiceUnavailable},
	{ErrConflict, http.StatusConflict},
	{ErrNotFound, http.StatusNotFound},
	{ErrRateLimited, http.StatusTooManyRequests},
	{ErrTooLarge, http.StatusRequestEntityTooLarge},
	{ErrInvalidCredentials, http.StatusBadRequest},
	{ErrInactive, http.StatusBadRequest},
	{ErrAnonymousRequired, http.StatusBadRequest},
	{ErrTokenInvalid, http.StatusBadRequest},
	{ErrDuplicate, http.StatusBadRequest},
	{ErrBadRequest, http.StatusBadRequest},
}

// StatusCode maps err to the HTTP status gatehouse's handlers use: 200 for
// nil, 400 for bad input, 401, 403, 404, 409, 413, 429 or 503 for
// the matching sentinels (503 also for a context that was canceled or ran
// out of time), and 500 for anything else (whose detail is logged, never shown).
func StatusCode(err error) int {
	if err == nil {
		return http.StatusOK
	}
	for _, c := range statusCodes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return http.StatusInternalServerError
}

func errorAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
