package gatehouse

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Messages gatehouse itself shows, by Flask-Security's keys. Config.Localize
// translates them.
const (
	MsgUnauthenticated    = "UNAUTHENTICATED"
	MsgUnauthorized       = "UNAUTHORIZED"
	MsgReauthRequired     = "REAUTHENTICATION_REQUIRED"
	MsgAnonymousRequired  = "ANONYMOUS_USER_REQUIRED"
	MsgInternalError      = "INTERNAL_ERROR"
	MsgCSRFFailed         = "CSRF_FAILED"
	MsgLoginRequired      = "LOGIN"   // Flask-Login's login_message
	MsgRefreshRequired    = "REFRESH" // Flask-Login's needs_refresh_message
	defaultLoginMessage   = "Please log in to access this page."
	defaultRefreshMessage = "Please reauthenticate to access this page."
)

// WantsJSON reports whether r should get JSON answers (docs/json-api.md,
// "Negotiation"): its body is JSON, or application/json is the type it
// prefers most in Accept.
func WantsJSON(r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return true
		}
	}
	return bestAccept(r.Header.Get("Accept")) == "application/json"
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

// envelope is the JSON answer shape of docs/json-api.md.
type envelope struct {
	Meta     envelopeMeta `json:"meta"`
	Response any          `json:"response"`
}

type envelopeMeta struct {
	Code int `json:"code"`
}

// WriteJSON writes a JSON answer in the envelope of docs/json-api.md:
// {"meta":{"code":status},"response":response}. A nil response is {}.
func WriteJSON(w http.ResponseWriter, status int, response any) {
	if response == nil {
		response = struct{}{}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(envelope{Meta: envelopeMeta{Code: status}, Response: response})
}

// ErrorResponse is the "response" of a failed JSON answer.
type ErrorResponse struct {
	Errors      []string            `json:"errors,omitempty"`
	FieldErrors map[string][]string `json:"field_errors,omitempty"`
	// ReauthRequired tells a JSON client that the login is not fresh
	// enough: it should POST the password to the verify view
	// (Flask-Security 5's reauth_required).
	ReauthRequired bool `json:"reauth_required,omitempty"`
}

// WriteError answers err in the envelope (JSON requests) or as plain text,
// with the status from [StatusCode]. Internal errors are logged and shown
// only as "Internal error.".
func (m *Manager) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusCode(err)
	if status == http.StatusForbidden && errorIs(err, ErrCSRF) && WantsJSON(r) {
		status = http.StatusBadRequest // docs/json-api.md: JSON clients get 400 for CSRF
	}
	var msg string
	switch status {
	case http.StatusInternalServerError:
		m.log.LogAttrs(r.Context(), levelError, "gatehouse: internal error", attrEvent("internal_error"), attrErr(err))
		msg = m.Text(r, MsgInternalError)
	case http.StatusUnauthorized:
		msg = m.Text(r, MsgUnauthenticated)
		if errorIs(err, ErrNotFresh) {
			msg = m.Text(r, MsgReauthRequired)
		}
	case http.StatusForbidden:
		msg = m.Text(r, MsgUnauthorized)
		if errorIs(err, ErrCSRF) {
			msg = m.Text(r, MsgCSRFFailed)
		}
	case http.StatusServiceUnavailable:
		retry := storeRetry
		if ue, ok := errorAs[*UnavailableError](err); ok {
			retry = ue.RetryAfter
		}
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retry.Seconds()))))
		msg = m.Text(r, MsgUnavailable)
		if !errorIs(err, context.Canceled) {
			m.log.LogAttrs(r.Context(), levelWarn, "gatehouse: unavailable", attrEvent("unavailable"), attrErr(err))
		}
	case http.StatusTooManyRequests:
		msg = m.Text(r, MsgRateLimited)
		if rl, ok := errorAs[*RateLimitError](err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		}
	case http.StatusRequestEntityTooLarge, http.StatusBadRequest:
		switch {
		case errorIs(err, ErrCSRF):
			msg = m.Text(r, MsgCSRFFailed)
		case errorIs(err, ErrBadRequest), errorIs(err, ErrTooLarge):
			msg = m.Text(r, MsgBadRequest)
		default:
			msg = publicMessage(err)
		}
	default:
		msg = publicMessage(err)
	}
	if status == http.StatusUnauthorized && m.cfg.BasicAuth {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+m.cfg.Views.BasicRealm+`"`)
	}
	if WantsJSON(r) {
		resp := ErrorResponse{Errors: []string{msg}, ReauthRequired: errorIs(err, ErrNotFresh)}
		if fe, ok := errorAs[FieldErrors](err); ok {
			resp.FieldErrors = fe
			resp.Errors = nil
			for _, msgs := range fe {
				resp.Errors = append(resp.Errors, msgs...)
			}
		}
		WriteJSON(w, status, resp)
		return
	}
	if acceptsHTML(r) {
		title := "UI_ERROR_TITLE"
		switch status {
		case http.StatusUnauthorized:
			title = "UI_UNAUTHORIZED_TITLE"
		case http.StatusForbidden:
			title = "UI_FORBIDDEN_TITLE"
		}
		m.render(w, r, status, "error", title, page{Extra: map[string]any{"message": msg, "status": status}})
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.Error(w, msg, status)
}

// acceptsHTML reports whether r comes from a browser that takes HTML.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// publicMessage is an error's text without the "gatehouse: " prefix.
func publicMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "gatehouse: ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
