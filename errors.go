package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
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
	// ErrUnconfirmed is returned when an unconfirmed user tries to log in
	// while confirmation is required.
	ErrUnconfirmed = errors.New("gatehouse: email address not confirmed")
	// ErrTokenInvalid covers every token that is malformed, forged, expired,
	// used, superseded or meant for another purpose.
	ErrTokenInvalid = errors.New("gatehouse: token invalid or expired")
	// ErrUnauthenticated means the request carries no valid credentials.
	ErrUnauthenticated = errors.New("gatehouse: authentication required")
	// ErrForbidden means the user is known but lacks a role or permission.
	ErrForbidden = errors.New("gatehouse: permission denied")
	// ErrNotFresh means the route needs a recent login with credentials.
	ErrNotFresh = errors.New("gatehouse: recent authentication required")
	// ErrAnonymousRequired means the route is only for visitors who are not
	// logged in (Flask-Security's anonymous_user_required).
	ErrAnonymousRequired = errors.New("gatehouse: only for anonymous visitors")
	// ErrRateLimited is reported by [*RateLimitError].
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
	// answered 503 with Retry-After; [*UnavailableError] carries the wait.
	// Stores wrap such failures with it.
	ErrUnavailable = errors.New("gatehouse: temporarily unavailable")
	// ErrMailRejected is a permanent mail failure (an SMTP 5xx reply, such
	// as no such mailbox): the outbox does not retry it. Mailers wrap it.
	ErrMailRejected = errors.New("gatehouse: mail rejected")
)

// UnavailableError is an [ErrUnavailable] that says how long to wait
// before trying again, and what failed (logged, never shown).
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return ErrUnavailable.Error()
	}
	return ErrUnavailable.Error() + ": " + e.Err.Error()
}

// Is reports whether target is [ErrUnavailable].
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the underlying failure.
func (e *UnavailableError) Unwrap() error { return e.Err }

// RateLimitError reports that a limit was hit and when to try again. Its Is
// method reports true for [ErrRateLimited].
type RateLimitError struct {
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("gatehouse: too many attempts, retry after %s", e.RetryAfter.Round(time.Second))
}

// Is reports whether target is [ErrRateLimited].
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// FieldErrors maps form or JSON field names to user-facing messages. It is a
// validation error: [StatusCode] maps it to 400.
type FieldErrors map[string][]string

// Add appends msg to the messages of field.
func (e FieldErrors) Add(field, msg string) { e[field] = append(e[field], msg) }

// Error implements error, listing fields in a stable order.
func (e FieldErrors) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var b strings.Builder
	b.WriteString("gatehouse: invalid fields:")
	for _, f := range fields {
		fmt.Fprintf(&b, " %s: %s;", f, strings.Join(e[f], ", "))
	}
	return strings.TrimSuffix(b.String(), ";")
}

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
	{ErrUnconfirmed, http.StatusBadRequest},
	{ErrTokenInvalid, http.StatusBadRequest},
	{ErrDuplicate, http.StatusBadRequest},
	{ErrBadRequest, http.StatusBadRequest},
	{ErrAnonymousRequired, http.StatusBadRequest},
}

// StatusCode maps err to the HTTP status gatehouse's handlers use: 200 for
// nil, 400 for validation errors, 401, 403, 404, 409, 413, 429 or 503 for
// the matching sentinels (503 also for a context that was canceled or ran
// out of time), and 500 for anything else (whose detail is logged, never shown).
func StatusCode(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var fe FieldErrors
	if errors.As(err, &fe) {
		return http.StatusBadRequest
	}
	for _, c := range statusCodes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return http.StatusInternalServerError
}

func errorIs(err, target error) bool { return errors.Is(err, target) }

func errorAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
