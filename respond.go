package gatehouse

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WantsJSON reports whether r should get JSON answers (Flask-Security's
// negotiation, docs/json-api.md): its body is JSON, or application/json is
// the type it prefers most in Accept, or it prefers nothing (no Accept,
// or */*) and carries an API credential (an Authentication-Token header
// or Authorization: Bearer), as API clients do and browsers never.
func WantsJSON(r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return true
		}
	}
	switch bestAccept(r.Header.Get("Accept")) {
	case "application/json":
		return true
	case "", "*/*":
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		return r.Header.Get("Authentication-Token") != "" || strings.EqualFold(scheme, "Bearer")
	}
	return false
}

// bestAccept returns the media type with the highest quality in an Accept
// header, the first listed winning ties (Werkzeug's accept_mimetypes.best).
func bestAccept(accept string) string {
	best, bestQ := "", -1.0
	for len(accept) > 0 && len(accept) < 4096 {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt == "" {
			continue
		}
		q := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		if q > bestQ {
			best, bestQ = mt, q
		}
	}
	if bestQ <= 0 {
		return ""
	}
	return best
}

// writeEnvelope writes a JSON answer in Flask-Security's envelope:
// {"meta":{"code":status},"response":response}.
func writeEnvelope(w http.ResponseWriter, status int, response any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Meta struct {
			Code int `json:"code"`
		} `json:"meta"`
		Response any `json:"response"`
	}{Meta: struct {
		Code int `json:"code"`
	}{status}, Response: response})
}

// errorBody is the "response" of a failed JSON answer.
type errorBody struct {
	Errors         []string `json:"errors"`
	ReauthRequired bool     `json:"reauth_required,omitempty"`
}

// The engine's own texts, in English; Extension.Text translates them.
var engineTexts = map[string]string{
	"UNAUTHENTICATED":           "You are not authenticated. Please supply the correct credentials.",
	"UNAUTHORIZED":              "You do not have permission to view this resource.",
	"REAUTHENTICATION_REQUIRED": "You must re-authenticate to access this endpoint",
	"ANONYMOUS_USER_REQUIRED":   "You can only access this endpoint when not logged in.",
	"INTERNAL_ERROR":            "Internal error.",
	"CSRF_FAILED":               "The CSRF token is missing or invalid.",
	"BAD_REQUEST":               "Bad request.",
	"RATE_LIMITED":              "Too many attempts. Please try again later.",
	"UNAVAILABLE":               "The service is busy or briefly unavailable. Please try again in a moment.",
	"LOGIN":                     "Please log in to access this page.",
	"REFRESH":                   "Please reauthenticate to access this page.",
}

// text is an engine message for r: the extension's translation, or
// English.
func (m *Manager) text(r *http.Request, key string) string {
	if t := m.ext.Load().Text; t != nil {
		if s := t(r, key); s != "" {
			return s
		}
	}
	return engineTexts[key]
}

// WriteError answers err: the JSON envelope for JSON requests, the
// extension's error page for browsers (the views install one), else plain
// text, with the status from [StatusCode] and Retry-After where it
// applies. Internal errors are logged and shown only as "Internal error.";
// other errors show their message without the "gatehouse: " prefix.
func (m *Manager) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusCode(err)
	json := WantsJSON(r)
	if status == http.StatusForbidden && errorIs(err, ErrCSRF) && json {
		status = http.StatusBadRequest // JSON clients get 400 for CSRF (Flask-Security)
	}
	var key string
	switch {
	case status == http.StatusInternalServerError:
		m.log.LogAttrs(r.Context(), levelError, "gatehouse: internal error", attrEvent("internal_error"), attrErr(err))
		key = "INTERNAL_ERROR"
	case errorIs(err, ErrNotFresh):
		key = "REAUTHENTICATION_REQUIRED"
	case status == http.StatusUnauthorized:
		key = "UNAUTHENTICATED"
	case errorIs(err, ErrCSRF):
		key = "CSRF_FAILED"
	case status == http.StatusForbidden:
		key = "UNAUTHORIZED"
	case status == http.StatusTooManyRequests:
		key = "RATE_LIMITED"
		w.Header().Set("Retry-After", retryAfter(err, 0))
	case status == http.StatusServiceUnavailable:
		key = "UNAVAILABLE"
		w.Header().Set("Retry-After", retryAfter(err, storeRetry))
		switch {
		case errorIs(err, context.Canceled):
		case errorIs(err, errHashBusy): // a flood: one line per refusal would be a flood of logs too
			m.log.LogAttrs(r.Context(), levelDebug, "gatehouse: shed: too many hashes waiting", attrEvent("shed"))
		default:
			m.log.LogAttrs(r.Context(), levelWarn, "gatehouse: unavailable", attrEvent("unavailable"), attrErr(err))
		}
	case errorIs(err, ErrAnonymousRequired):
		key = "ANONYMOUS_USER_REQUIRED"
	case errorIs(err, ErrBadRequest), errorIs(err, ErrTooLarge):
		key = "BAD_REQUEST"
	}
	msg := publicMessage(err)
	if key != "" {
		msg = m.text(r, key)
	}
	if ce, ok := errorAs[*csrfError](err); ok {
		msg += " (" + ce.hint + ")"
	}
	if status == http.StatusUnauthorized && m.cfg.BasicAuth {
		realm := m.cfg.BasicRealm
		if d := routeOf(r.Context()); d.realm != "" {
			realm = d.realm
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	}
	switch page := m.ext.Load().ErrorPage; {
	case json:
		writeEnvelope(w, status, errorBody{Errors: []string{msg}, ReauthRequired: errorIs(err, ErrNotFresh)})
	case page != nil && strings.Contains(r.Header.Get("Accept"), "text/html"):
		page(w, r, status, msg)
	default:
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.Error(w, msg, status)
	}
}

// retryAfter is the Retry-After header for err: its RetryAfterError's
// wait, rounded up to a second, or def.
func retryAfter(err error, def time.Duration) string {
	d := def
	if ra, ok := errorAs[*RetryAfterError](err); ok {
		d = ra.RetryAfter
	}
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// publicMessage is an error's text without the "gatehouse: " prefix.
func publicMessage(err error) string {
	s := strings.TrimPrefix(err.Error(), "gatehouse: ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func errorIs(err, target error) bool { return errors.Is(err, target) }
