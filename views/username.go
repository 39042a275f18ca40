package views

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// UsernameConfig configures usernames (Flask-Security's USERNAME_ENABLE
// and friends). With Enabled, registration takes a "username" field, which
// users may log in with: the engine's Config.IdentityAttributes must list
// "username" (and the user store look users up by it).
type UsernameConfig struct {
	// Enabled turns usernames on (USERNAME_ENABLE).
	Enabled bool
	// Required makes registration refuse a form without one
	// (USERNAME_REQUIRED).
	Required bool
	// MinLength and MaxLength bound a username, in characters
	// (USERNAME_MIN_LENGTH, USERNAME_MAX_LENGTH). Defaults: 4 and 32.
	// A username is letters and digits of any script (as
	// Flask-Security's), kept in Unicode normal form NFKC.
	MinLength, MaxLength int
	// Changeable lets logged-in users change their username after a fresh
	// login (CHANGE_USERNAME); a notice is mailed to them unless
	// DisableChangeNotice (SEND_USERNAME_CHANGE_EMAIL = False).
	Changeable          bool
	DisableChangeNotice bool
	// Recovery mails users their username on request (USERNAME_RECOVERY),
	// with the same answer for every address.
	Recovery bool
	// ChangePath and RecoverPath, under Prefix. Defaults:
	// "/change-username", "/recover-username".
	ChangePath, RecoverPath string
	// PostChangeURL is where browsers go after a change
	// (POST_CHANGE_USERNAME_VIEW). Default: "/".
	PostChangeURL string
}

// check fills in defaults and reports what the engine lacks.
func (c *UsernameConfig) check(engine gatehouse.Config) []error {
	if c.MinLength <= 0 {
		c.MinLength = 4
	}
	if c.MaxLength <= 0 {
		c.MaxLength = 32
	}
	var errs []error
	if (c.Changeable || c.Recovery || c.Required) && !c.Enabled {
		errs = append(errs, errors.New("Username.Changeable, Recovery and Required need Username.Enabled"))
	}
	if c.MinLength > c.MaxLength {
		errs = append(errs, fmt.Errorf("Username.MinLength %d exceeds MaxLength %d", c.MinLength, c.MaxLength))
	}
	if c.Enabled && !slices.Contains(engine.IdentityAttributes, "username") {
		errs = append(errs, errors.New(`Username.Enabled needs "username" in the engine's Config.IdentityAttributes, so users can log in with it`))
	}
	return errs
}

// checkUsername validates a submitted username as Flask-Security's
// UsernameUtil does, on its NFKC form: no markup, letters and digits
// only, within the length bounds. It returns that form; "" with no error
// for an empty, optional one.
func (v *Views) checkUsername(r *http.Request, fe *formErrors, field, raw string) string {
	c := v.cfg.Username
	// Normalised first, then checked: NFKC turns some letters and digits
	// into punctuation or spaces ("½" into "1⁄2").
	name := norm.NFKC.String(strings.TrimSpace(raw))
	switch {
	case name == "":
		if c.Required {
			fe.add(field, v.text(r, i18n.UsernameNotProvided))
		}
		return ""
	case !utf8.ValidString(name) || html.EscapeString(name) != name:
		fe.add(field, v.text(r, i18n.UsernameIllegalCharacters))
		return ""
	}
	for _, ch := range name {
		if !unicode.IsLetter(ch) && !unicode.IsNumber(ch) {
			fe.add(field, v.text(r, i18n.UsernameDisallowedCharacters))
			return ""
		}
	}
	if n := utf8.RuneCountInString(name); n < c.MinLength || n > c.MaxLength {
		fe.add(field, v.text(r, i18n.UsernameInvalidLength, "min", strconv.Itoa(c.MinLength), "max", strconv.Itoa(c.MaxLength)))
		return ""
	}
	return name
}

// usernameTaken reports whether another user has name.
func (v *Views) usernameTaken(r *http.Request, name string, self *gatehouse.User) (bool, error) {
	u, err := v.auth.FindUser(r.Context(), name)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return self == nil || u.ID != self.ID, nil
}

// changeUsernameView serves Username.ChangePath to users with a fresh
// login: GET the form ({csrf_token, current_username}); POST username.
func (v *Views) changeUsernameView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"current_username": u.Username})
			return
		}
		v.render(w, r, http.StatusOK, "change_username", i18n.UIChangeUsername, v.changeUsernamePage(u, nil))
	}, v.changeUsernamePost))
}

func (v *Views) changeUsernamePage(u *gatehouse.User, f form) page {
	return page{Action: v.cfg.Prefix + v.cfg.Username.ChangePath, Form: map[string]string{"username": f["username"]},
		Extra: map[string]any{"current_username": u.Username}}
}

func (v *Views) changeUsernamePost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	fe := &formErrors{}
	v.formHook(r, "change_username", f, fe)
	name := v.checkUsername(r, fe, "username", f["username"])
	if name == "" && !fe.any() {
		fe.add("username", v.text(r, i18n.UsernameNotProvided))
	}
	if !fe.any() {
		switch taken, err := v.usernameTaken(r, name, u); {
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		case taken:
			fe.add("username", v.text(r, i18n.UsernameAlreadyAssociated, "username", name))
		}
	}
	if fe.any() {
		v.fail(w, r, fe, "change_username", i18n.UIChangeUsername, v.changeUsernamePage(u, f))
		return
	}
	old, now := u.Username, v.cfg.Now()
	err := v.auth.InTx(ctx, func(ctx context.Context) error {
		if err := v.st.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{Username: &name, UpdatedAt: now}); err != nil {
			return err
		}
		if v.cfg.Username.DisableChangeNotice {
			return nil
		}
		return v.enqueueMail(ctx, mailPayload{Kind: mailUsernameChanged, UserID: u.ID, Lang: v.lang(r)})
	})
	if errors.Is(err, gatehouse.ErrDuplicate) { // taken a moment ago
		fe.add("username", v.text(r, i18n.UsernameAlreadyAssociated, "username", name))
		v.fail(w, r, fe, "change_username", i18n.UIChangeUsername, v.changeUsernamePage(u, f))
		return
	}
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	u.Username = name
	v.log.InfoContext(ctx, "views: username changed", "event", "username_changed", "user_id", u.ID)
	if h := v.cfg.Hooks.UsernameChanged; h != nil {
		h(ctx, u, old)
	}
	v.done(w, r, map[string]any{"user": v.userPayload(u)}, v.cfg.Username.PostChangeURL, i18n.UsernameChange)
}

// recoverUsernameView serves Username.RecoverPath to visitors: POST
// email; the username is mailed if the address has an account with one,
// and the answer is the same either way.
func (v *Views) recoverUsernameView() http.Handler {
	a := mailAsk{view: "recover_username", form: "username_recovery", title: i18n.UIRecoverUsername, path: v.cfg.Username.RecoverPath,
		generic: i18n.UsernameRecoveryRequest, detailed: i18n.UsernameRecoveryRequest, kind: mailUsernameRecovery}
	return v.anonymous(v.view(func(w http.ResponseWriter, r *http.Request) {
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		v.render(w, r, http.StatusOK, a.view, a.title, page{Action: v.cfg.Prefix + a.path})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		v.mailRequest(w, r, f["email"], f, a)
	}))
}
