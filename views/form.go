package views

// A request's body in (decodeBody, form), and its answer out: success as
// JSON or a redirect with a flash (ok, done), field errors as JSON or the
// page again (fail), other errors (writeError).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// maxBodyBytes caps every request body the views read.
const maxBodyBytes = 64 << 10

// form is a decoded request body: JSON object or URL-encoded form, as
// strings (JSON booleans become "true"/"false").
type form map[string]string

// decodeBody reads r's body as a JSON object (Content-Type
// application/json) or a form. Anything else, a body over maxBodyBytes,
// invalid UTF-8, a JSON value that is not an object, or a field of the
// wrong type is an error wrapping gatehouse.ErrBadRequest or ErrTooLarge,
// or FieldErrors where a field is to blame.
func decodeBody(w http.ResponseWriter, r *http.Request) (form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	f := form{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyErr(err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return f, nil
		}
		if !utf8.Valid(data) {
			return nil, gatehouse.ErrBadRequest
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, gatehouse.ErrBadRequest // not JSON, or not an object
		}
		fe := FieldErrors{}
		for k, v := range raw {
			var s string
			var b bool
			switch {
			case json.Unmarshal(v, &s) == nil:
				f[k] = s
			case json.Unmarshal(v, &b) == nil:
				f[k] = map[bool]string{true: "true", false: "false"}[b]
			case string(v) == "null":
			default:
				fe.Add(k, "must be a string")
			}
		}
		if len(fe) > 0 {
			return nil, fe
		}
		return f, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, bodyErr(err)
	}
	for k, vs := range r.PostForm {
		if len(vs) > 0 {
			if !utf8.ValidString(vs[0]) || !utf8.ValidString(k) {
				return nil, gatehouse.ErrBadRequest
			}
			f[k] = vs[0]
		}
	}
	return f, nil
}

func bodyErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return gatehouse.ErrTooLarge
	}
	return gatehouse.ErrBadRequest
}

func (f form) bool(key string, def bool) bool {
	switch strings.ToLower(f[key]) {
	case "true", "on", "1", "yes", "y":
		return true
	case "false", "off", "0", "no", "n":
		return false
	}
	return def
}

// FieldErrors maps form or JSON field names to messages for the user. It
// is a validation error, answered 400 with field_errors; Config.OnRegister
// returns one to refuse a registration.
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
	b.WriteString("views: invalid fields:")
	for _, f := range fields {
		fmt.Fprintf(&b, " %s: %s;", f, strings.Join(e[f], ", "))
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Is makes a FieldErrors match gatehouse.ErrBadRequest, so
// gatehouse.StatusCode answers it 400.
func (e FieldErrors) Is(target error) bool { return target == gatehouse.ErrBadRequest }

// ErrorResponse is the "response" of a failed JSON answer
// (docs/json-api.md).
type ErrorResponse struct {
	Errors      []string            `json:"errors,omitempty"`
	FieldErrors map[string][]string `json:"field_errors,omitempty"`
}

// WriteJSON writes a JSON answer in Flask-Security's envelope:
// {"meta":{"code":status},"response":response}. A nil response is {}.
func WriteJSON(w http.ResponseWriter, status int, response any) {
	if response == nil {
		response = struct{}{}
	}
	type meta struct {
		Code int `json:"code"`
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Meta     meta `json:"meta"`
		Response any  `json:"response"`
	}{meta{status}, response})
}

// writeError answers err: field errors as a 400 with field_errors, the
// rest as the engine answers them.
func (v *Views) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe FieldErrors
	if !errors.As(err, &fe) {
		v.auth.WriteError(w, r, err)
		return
	}
	if gatehouse.WantsJSON(r) {
		resp := ErrorResponse{FieldErrors: fe}
		for _, msgs := range fe {
			resp.Errors = append(resp.Errors, msgs...)
		}
		WriteJSON(w, http.StatusBadRequest, resp)
		return
	}
	v.auth.WriteError(w, r, gatehouse.ErrBadRequest)
}

// checkFailed answers an error of a password check that is not a wrong
// password: throttled (429 with Retry-After; a browser gets the form again
// saying so) or anything else, as the engine answers it.
func (v *Views) checkFailed(w http.ResponseWriter, r *http.Request, err error, view string, title i18n.Key, p page) {
	var ra *gatehouse.RetryAfterError
	if gatehouse.WantsJSON(r) || !errors.Is(err, gatehouse.ErrRateLimited) || !errors.As(err, &ra) {
		v.auth.WriteError(w, r, err)
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((ra.RetryAfter+time.Second-1)/time.Second))))
	p.Errors = append(p.Errors, v.text(r, i18n.RateLimited))
	v.render(w, r, http.StatusTooManyRequests, view, title, p)
}

// formErrors is a 400 with field errors: JSON envelope, or the page again.
type formErrors struct {
	fields FieldErrors
	errors []string
}

// formHook runs Hooks.Form on the form called name and adds its errors.
func (v *Views) formHook(r *http.Request, name string, f form, fe *formErrors) {
	h := v.cfg.Hooks.Form
	if h == nil {
		return
	}
	for field, msgs := range h(r, name, f) {
		for _, msg := range msgs {
			fe.add(field, msg)
		}
	}
}

func (fe *formErrors) add(field, msg string) {
	if fe.fields == nil {
		fe.fields = FieldErrors{}
	}
	fe.fields.Add(field, msg)
	if !slices.Contains(fe.errors, msg) {
		fe.errors = append(fe.errors, msg)
	}
}

func (fe *formErrors) any() bool { return len(fe.errors) > 0 }

// fail answers fe: the JSON envelope, or view re-rendered with the errors
// (those not shown beside a field at the top).
func (v *Views) fail(w http.ResponseWriter, r *http.Request, fe *formErrors, view string, title i18n.Key, p page) {
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: fe.errors, FieldErrors: fe.fields})
		return
	}
	p.FieldErrors = fe.fields
	for _, e := range fe.errors {
		if !fieldHas(fe.fields, e) {
			p.Errors = append(p.Errors, e)
		}
	}
	v.render(w, r, http.StatusBadRequest, view, title, p)
}

func fieldHas(f FieldErrors, msg string) bool {
	for _, msgs := range f {
		if slices.Contains(msgs, msg) {
			return true
		}
	}
	return false
}

// userPayload is the user as JSON answers show it.
func (v *Views) userPayload(u *gatehouse.User) map[string]any {
	if v.cfg.UserPayload != nil {
		return v.cfg.UserPayload(u)
	}
	return map[string]any{"id": u.ID, "email": u.Email}
}

// ok answers a successful JSON request: the envelope with response, plus
// the (possibly new) CSRF token.
func (v *Views) ok(w http.ResponseWriter, r *http.Request, response map[string]any) {
	if response == nil {
		response = map[string]any{}
	}
	if _, has := response["csrf_token"]; !has {
		response["csrf_token"] = v.auth.CSRFToken(w, r)
	}
	WriteJSON(w, http.StatusOK, response)
}

// done answers success: JSON response, or a redirect with a flash.
func (v *Views) done(w http.ResponseWriter, r *http.Request, response map[string]any, redirect string, flash i18n.Key, args ...string) {
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, response)
		return
	}
	if flash != "" {
		v.flash(w, r, "success", flash, args...)
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// checkEmail validates a submitted address into its normal form, adding
// EMAIL_NOT_PROVIDED or INVALID_EMAIL_ADDRESS to fe's "email" field; ""
// when it did.
func (v *Views) checkEmail(r *http.Request, fe *formErrors, raw string) string {
	email, err := gatehouse.ValidateEmail(raw)
	switch {
	case strings.TrimSpace(raw) == "":
		fe.add("email", v.text(r, i18n.EmailNotProvided))
	case err != nil:
		fe.add("email", v.text(r, i18n.InvalidEmailAddress))
	default:
		return email
	}
	return ""
}
