package views

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// passwordlessRequest mails a login link (Passwordless), answering the
// same for every address. The link is bound to this browser by a nonce in
// a cookie: opened in another browser, it asks before logging anyone in.
func (v *Views) passwordlessRequest(w http.ResponseWriter, r *http.Request, email string, f form) {
	nonce := rand.Text()
	http.SetCookie(w, v.linkCookie(nonce, int(v.cfg.LoginWithin/time.Second)))
	v.mailRequest(w, r, email, f, mailAsk{view: "login", form: "passwordless_login", title: i18n.UILogin, path: v.cfg.LoginPath,
		generic: i18n.GenericLoginInstructions, detailed: i18n.LoginEmailSent, kind: mailLogin, binding: linkBinding(nonce)})
}

// linkCookie is the cookie that binds passwordless links to the browser
// that asked for them: the session cookie's attributes, and its name with
// "_link" after it.
func (v *Views) linkCookie(value string, maxAge int) *http.Cookie {
	c := v.auth.Config().Cookie
	return &http.Cookie{
		Name: c.Name + "_link", Value: value, Path: c.Path, Domain: c.Domain, MaxAge: maxAge,
		Secure: !c.Insecure, HttpOnly: true, SameSite: c.SameSite,
	}
}

// linkBinding is what a token keeps of the nonce in the link cookie.
func linkBinding(nonce string) string {
	sum := sha256.Sum256([]byte("gatehouse link\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// boundHere reports whether t is bound to r's browser (or to none).
func (v *Views) boundHere(r *http.Request, t *gatehouse.Token) bool {
	if t.Binding == "" {
		return true
	}
	c, err := r.Cookie(v.auth.Config().Cookie.Name + "_link")
	return err == nil && subtle.ConstantTimeCompare([]byte(linkBinding(c.Value)), []byte(t.Binding)) == 1
}

// passwordlessLinkView serves the link in login mails.
//
// GET (and HEAD) only shows a page whose button POSTs, from this site and
// with the CSRF token, to log in (JSON clients POST the link's URL): a
// link opened from another site, or fetched by a mail scanner, logs no one
// in and is not used up. The POST asks first, instead of logging in, when
// another user is logged in here (it then needs "switch": true) or when
// the link was requested from another browser (it then needs
// "other_device": true). The token works once.
func (v *Views) passwordlessLinkView() http.Handler {
	return v.view(v.passwordlessLinkGet, v.passwordlessLinkPost)
}

// peekLoginToken checks a login link without using it up.
func (v *Views) peekLoginToken(r *http.Request) (*gatehouse.Token, *gatehouse.User, error) {
	t, u, err := v.auth.PeekToken(r.Context(), TokenLogin, r.PathValue("token"))
	if (err == nil || errors.Is(err, gatehouse.ErrTokenExpired)) && !v.loginAllowed(u) {
		return nil, nil, gatehouse.ErrTokenInvalid
	}
	return t, u, err
}

func (v *Views) passwordlessLinkGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	t, u, err := v.peekLoginToken(r)
	if err != nil {
		v.badLink(w, r, err, u, v.loginLinks())
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, nil)
		return
	}
	if v.spa(r) {
		spaRedirect(w, r, v.cfg.SPA.LoginView, identityParams(u, url.Values{"token": {r.PathValue("token")}, "other_device": {strconv.FormatBool(!v.boundHere(r, t))}}))
		return
	}
	v.render(w, r, http.StatusOK, "login_link", i18n.UILogin, v.loginLinkPage(r, t, u))
}

// loginLinkPage is the page for a login link: it says whom it logs in,
// and what to be careful of (another user logged in here, a link asked for
// elsewhere), which its button then confirms.
func (v *Views) loginLinkPage(r *http.Request, t *gatehouse.Token, u *gatehouse.User) page {
	extra := map[string]any{"email": u.Email, "other_device": !v.boundHere(r, t)}
	if cur, ok := gatehouse.CurrentUser(r.Context()); ok && cur.ID != u.ID {
		extra["current"] = cur.Email
	}
	return page{Action: v.cfg.Prefix + v.cfg.LoginPath + "/" + r.PathValue("token"), Extra: extra}
}

func (v *Views) passwordlessLinkPost(w http.ResponseWriter, r *http.Request, f form) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	t, u, err := v.peekLoginToken(r)
	if err != nil {
		v.linkFailed(w, r, err, i18n.InvalidLoginToken, v.cfg.LoginPath)
		return
	}
	fe := &formErrors{}
	if cur, ok := gatehouse.CurrentUser(ctx); ok && cur.ID != u.ID && !f.bool("switch", false) {
		fe.add("switch", v.text(r, i18n.LinkOtherUser, "current", cur.Email, "email", u.Email))
	}
	if !v.boundHere(r, t) && !f.bool("other_device", false) {
		fe.add("other_device", v.text(r, i18n.LinkOtherDevice))
	}
	if fe.any() {
		if gatehouse.WantsJSON(r) {
			WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: fe.errors, FieldErrors: fe.fields})
			return
		}
		// Ask: the page again, saying what to confirm; its button says so.
		v.render(w, r, http.StatusOK, "login_link", i18n.UILogin, v.loginLinkPage(r, t, u))
		return
	}
	if _, u, err = v.auth.RedeemToken(ctx, TokenLogin, r.PathValue("token")); err != nil {
		v.linkFailed(w, r, err, i18n.InvalidLoginToken, v.cfg.LoginPath)
		return
	}
	http.SetCookie(w, v.linkCookie("", -1))
	// The link is one factor: a second, if the user has one, first.
	if handled, err := v.signIn(w, r, u, gatehouse.LoginOptions{}, viaLink); err != nil || handled {
		if err != nil {
			v.auth.WriteError(w, r, err)
		}
		return
	}
	v.done(w, r, map[string]any{"user": v.userPayload(u)}, v.nextURL(w, r), i18n.PasswordlessLoginSuccessful)
}
