package views

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// linkFailed answers a bad, used or expired link: 400 JSON, or back to the
// page that sends a new one, with a flash.
func (v *Views) linkFailed(w http.ResponseWriter, r *http.Request, err error, msg i18n.Key, retryPath string) {
	if !errors.Is(err, gatehouse.ErrTokenInvalid) {
		v.auth.WriteError(w, r, err)
		return
	}
	v.linkRefused(w, r, msg, v.text(r, msg), v.cfg.Prefix+retryPath)
}

// linkRefused answers a refused link with text, the text of key: 400
// JSON, or to target with a flash (or, for a single-page app, the text in
// the query, named by key's category).
func (v *Views) linkRefused(w http.ResponseWriter, r *http.Request, key i18n.Key, text, target string) {
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{text}})
		return
	}
	if v.spa(r) {
		spaRedirect(w, r, target, url.Values{v.texts.Category(key, "error"): {text}})
		return
	}
	v.auth.Flash(w, r, v.texts.Category(key, "error"), text)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// linkKind is how a view answers its links that fail: confirmation and
// reset links that expired say so and send a new one.
type linkKind struct {
	invalid, expired, sent i18n.Key // sent "": expired says it
	mail                   string   // the mail with a new link; "" for none (start over)
	within                 time.Duration
	target                 string // where browsers go: the page that sends a new one, or the configured error URL
	bind                   bool   // bind the new link to this browser (passwordless)
}

func (v *Views) confirmLinks() linkKind {
	return linkKind{invalid: i18n.InvalidConfirmationToken, expired: i18n.ConfirmationExpired, sent: i18n.ConfirmationRequest,
		mail: mailConfirm, within: v.cfg.ConfirmWithin, target: or(v.cfg.ConfirmErrorURL, v.cfg.Prefix+v.cfg.ConfirmPath)}
}

func (v *Views) resetLinks() linkKind {
	return linkKind{invalid: i18n.InvalidResetPasswordToken, expired: i18n.PasswordResetExpired, sent: i18n.PasswordResetRequest,
		mail: mailReset, within: v.cfg.ResetWithin, target: or(v.cfg.ResetErrorURL, v.cfg.Prefix+v.cfg.ResetPath)}
}

func (v *Views) loginLinks() linkKind {
	return linkKind{invalid: i18n.InvalidLoginToken, expired: i18n.LoginExpired,
		mail: mailLogin, within: v.cfg.LoginWithin, target: or(v.cfg.SPA.LoginErrorView, v.cfg.Prefix+v.cfg.LoginPath), bind: true}
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// badLink answers a link that failed, as k says: a genuine one that
// expired (Flask-Security's CONFIRMATION_EXPIRED, PASSWORD_RESET_EXPIRED)
// says so and, within the mail limits, mails u a new one and says where;
// others as linkFailed.
func (v *Views) badLink(w http.ResponseWriter, r *http.Request, err error, u *gatehouse.User, k linkKind) {
	if !errors.Is(err, gatehouse.ErrTokenInvalid) {
		v.auth.WriteError(w, r, err)
		return
	}
	if !errors.Is(err, gatehouse.ErrTokenExpired) || u == nil {
		v.linkRefused(w, r, k.invalid, v.text(r, k.invalid), k.target)
		return
	}
	within := v.humanDuration(v.lang(r), k.within)
	send := k.mail != "" && v.allowMail(r, u.Email) == nil
	if send {
		var err error
		if send, err = v.sendMail(r, u.Email, k.mail); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	key := k.expired
	text := v.text(r, key, "within", within, "email", u.Email)
	if send {
		p := mailPayload{Kind: k.mail, Email: u.Email, Lang: v.lang(r)}
		if k.bind {
			nonce := rand.Text()
			http.SetCookie(w, v.linkCookie(nonce, int(v.cfg.LoginWithin/time.Second)))
			p.Binding = linkBinding(nonce)
		}
		if err := v.enqueueMail(r.Context(), p); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if k.sent != "" {
			text += " " + v.text(r, k.sent, "email", u.Email)
		}
	} else if k.sent == "" && k.mail != "" {
		key = k.invalid
		text = v.text(r, key) // its text says a new link went out: none did
	}
	v.linkRefused(w, r, key, strings.TrimSpace(text), k.target)
}

// allowMail applies the per-client mail limits to a request for mail to
// email, known or not (so they say nothing about which addresses have
// accounts): a client past its limit, per address or in all, is refused
// (429).
func (v *Views) allowMail(r *http.Request, email string) error {
	m := v.cfg.Mail
	email = strings.ToLower(email)
	for _, c := range []struct {
		scope string
		limit gatehouse.Limit
	}{
		{"mail from client", m.PerClient},
		{"mail to " + email + " from client", m.PerAddressClient},
	} {
		if err := v.auth.Allow(r, c.scope, "", c.limit); err != nil {
			return err
		}
	}
	return nil
}

// sendMail reports whether a mail of kind to email may go out now: past
// MailConfig.PerAddress it may not, and the request that asked is
// answered as usual, merged with the mail sent moments ago (which carries
// a working link), whoever asked for that one: so a stranger can neither
// bomb an address nor use up its owner's mails.
func (v *Views) sendMail(r *http.Request, email, kind string) (bool, error) {
	switch err := v.auth.Allow(r, "mail to address "+kind, email, v.cfg.Mail.PerAddress); {
	case errors.Is(err, gatehouse.ErrRateLimited):
		v.log.InfoContext(r.Context(), "views: mail merged with one sent moments ago", "event", "mail_merged", "kind", kind)
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// mailAsk describes a "send me a link" view for mailRequest.
type mailAsk struct {
	view              string   // the page
	form              string   // its form's name, for Hooks.Form
	title             i18n.Key // its title
	path              string   // its path
	generic, detailed i18n.Key // the answer, and the DetailedErrors one
	kind              string   // the mail
	binding           string   // passwordless: the link's browser binding
}

// mailRequest is the shared body of "send me a link" requests (confirm,
// reset, passwordless): validate the address, rate-limit it (known or
// not), queue a request for the mail, and answer at once with the same
// message for every address. The request costs the same for every
// address: the outbox worker looks the address up, issues the token and
// sends the mail.
func (v *Views) mailRequest(w http.ResponseWriter, r *http.Request, rawEmail string, f form, a mailAsk) {
	ctx := r.Context()
	fe := &formErrors{}
	v.formHook(r, a.form, f, fe)
	email := v.checkEmail(r, fe, rawEmail)
	p := page{Action: v.cfg.Prefix + a.path, Form: map[string]string{"email": rawEmail}}
	if fe.any() {
		v.fail(w, r, fe, a.view, a.title, p)
		return
	}
	if err := v.allowMail(r, email); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	send, err := v.sendMail(r, email, a.kind)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	mail := mailPayload{Kind: a.kind, Email: email, Lang: v.lang(r), Binding: a.binding}
	enqueue := func() error {
		if !send {
			return nil
		}
		return v.enqueueMail(ctx, mail)
	}
	if v.cfg.DetailedErrors {
		u, err := v.auth.FindUser(ctx, email)
		if err != nil {
			if !errors.Is(err, gatehouse.ErrNotFound) {
				v.auth.WriteError(w, r, err)
				return
			}
			fe.add("email", v.text(r, i18n.UserDoesNotExist))
			v.fail(w, r, fe, a.view, a.title, p)
			return
		}
		if a.kind == mailConfirm && u.IsConfirmed() {
			fe.add("email", v.text(r, i18n.AlreadyConfirmed))
			v.fail(w, r, fe, a.view, a.title, p)
			return
		}
		if err := enqueue(); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.done(w, r, nil, v.cfg.Prefix+a.path, a.detailed, "email", u.Email)
		return
	}
	if err := enqueue(); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, nil)
		return
	}
	v.flash(w, r, "info", a.generic)
	http.Redirect(w, r, v.cfg.Prefix+a.path, http.StatusSeeOther)
}
