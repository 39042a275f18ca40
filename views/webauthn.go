package views

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Passkeys (WebAuthn, on github.com/go-webauthn/webauthn), with
// Flask-Security 5's endpoints and shapes: register (/wan-register, then
// /wan-register/{state}), sign in without a password or as a second factor
// (/wan-signin, then /wan-signin/{state}), delete (/wan-delete) and
// re-authenticate (/wan-verify). The {state} is the ceremony, sealed, and
// bound to the browser that began it by a cookie.

// Passkey usages: "first" signs in without a password; "secondary" is a
// second factor after one.
const (
	usageFirst     = "first"
	usageSecondary = "secondary"
)

// Ceremony windows: Flask-Security's WAN_REGISTER_WITHIN is 30 minutes;
// its WAN_SIGNIN_WITHIN, 1 minute, is short for a person with a security
// key in a drawer.
const (
	registerWithin = 30 * time.Minute
	signinWithin   = 5 * time.Minute
)

// passkey is what a webauthn Factor's Data holds.
type passkey struct {
	Usage      string              `json:"usage"`
	Credential webauthn.Credential `json:"credential"`
	// Discoverable is the credProps extension's answer: whether the key
	// holds the account (a passkey), if the browser said.
	Discoverable *bool `json:"discoverable,omitempty"`
}

func passkeyOf(f *mfa.Factor) passkey {
	var p passkey
	json.Unmarshal(f.Data, &p)
	return p
}

// waUser is a user as go-webauthn sees them: the user handle is the
// user's ID, and the credentials are those of keys.
type waUser struct {
	u    *gatehouse.User
	keys []*mfa.Factor
}

func (w waUser) WebAuthnID() []byte          { return []byte(w.u.ID) }
func (w waUser) WebAuthnName() string        { return w.u.Email }
func (w waUser) WebAuthnDisplayName() string { return w.u.Email }
func (w waUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(w.keys))
	for _, f := range w.keys {
		out = append(out, passkeyOf(f).Credential)
	}
	return out
}

// keysFor filters keys by usage ("" for all).
func keysFor(keys []*mfa.Factor, usages ...string) []*mfa.Factor {
	var out []*mfa.Factor
	for _, f := range keys {
		if len(usages) == 0 || slices.Contains(usages, passkeyOf(f).Usage) {
			out = append(out, f)
		}
	}
	return out
}

// ceremony is a WebAuthn ceremony between its two requests.
type ceremony struct {
	Op        string               `json:"o"` // "register", "signin", "verify"
	UserID    string               `json:"u,omitempty"`
	Name      string               `json:"n,omitempty"`
	Usage     string               `json:"g,omitempty"`
	Secondary bool                 `json:"s,omitempty"`
	Remember  bool                 `json:"r,omitempty"`
	Binding   string               `json:"b"` // hash of the nonce in the browser's cookie
	Session   webauthn.SessionData `json:"d"`
}

func (v *Views) wanCookie(value string, maxAge int) *http.Cookie {
	c := v.linkCookie(value, maxAge)
	c.Name = v.auth.Config().Cookie.Name + "_wan"
	return c
}

// begin seals c for the URL, bound to this browser by a cookie.
func (v *Views) begin(w http.ResponseWriter, c *ceremony, within time.Duration) string {
	nonce := rand.Text()
	sum := sha256.Sum256([]byte("views ceremony\x00" + nonce))
	c.Binding = base64.RawURLEncoding.EncodeToString(sum[:])
	http.SetCookie(w, v.wanCookie(nonce, int(within/time.Second)))
	return v.seal.sealText("webauthn ceremony", c, v.cfg.Now().Add(within))
}

// finish opens r's ceremony of op, checks it was begun in this browser,
// and spends it: a ceremony finishes once, whatever the browser or the
// process (the limiter, shared by every instance, records it). msg is a
// message for the client; err, the limiter's failure.
func (v *Views) finish(w http.ResponseWriter, r *http.Request, op string, within time.Duration) (c *ceremony, msg string, err error) {
	c = &ceremony{}
	switch err := v.seal.openText("webauthn ceremony", r.PathValue("state"), c, v.cfg.Now()); {
	case errors.Is(err, errExpired):
		return nil, v.text(r, i18n.WanExpired, "within", v.humanDuration(v.lang(r), within)), nil
	case err != nil || c.Op != op:
		return nil, v.text(r, i18n.APIError), nil
	}
	ck, err := r.Cookie(v.auth.Config().Cookie.Name + "_wan")
	sum := sha256.Sum256([]byte("views ceremony\x00"))
	if err == nil {
		sum = sha256.Sum256([]byte("views ceremony\x00" + ck.Value))
	}
	if err != nil || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.Binding)) != 1 {
		return nil, v.text(r, i18n.APIError), nil
	}
	http.SetCookie(w, v.wanCookie("", -1))
	switch err := v.auth.Allow(r, "webauthn ceremony", hex.EncodeToString(sum[:]), gatehouse.Limit{Count: 1, Per: within}); {
	case errors.Is(err, gatehouse.ErrRateLimited):
		return nil, v.text(r, i18n.APIError), nil // finished already
	case err != nil:
		return nil, "", err
	}
	return c, "", nil
}

// wanError answers a failed ceremony: 400, with the message under field,
// or, to a browser, the message flashed on the page the ceremony began
// from.
func (v *Views) wanError(w http.ResponseWriter, r *http.Request, field, msg string) {
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{msg}, FieldErrors: map[string][]string{field: {msg}}})
		return
	}
	back := r.URL.Path
	if state := r.PathValue("state"); state != "" {
		back = strings.TrimSuffix(back, "/"+state)
	}
	if back == v.cfg.Prefix+v.cfg.WebAuthn.VerifyPath {
		back = v.cfg.Prefix + v.cfg.VerifyPath
	}
	v.auth.Flash(w, r, "error", msg)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// credentialJSON is the credential a client posts: a JSON string in the
// "credential" field (Flask-Security's shape), or the field as JSON.
func credentialJSON(f form) []byte {
	c := strings.TrimSpace(f["credential"])
	if strings.HasPrefix(c, "\"") {
		var s string
		if json.Unmarshal([]byte(c), &s) == nil {
			c = s
		}
	}
	return []byte(c)
}

// registeredKey is a passkey as /wan-register lists it.
func registeredKey(f *mfa.Factor) map[string]any {
	p := passkeyOf(f)
	var transports []string
	for _, t := range p.Credential.Transport {
		transports = append(transports, string(t))
	}
	var lastUse any
	if !f.UsedAt.IsZero() {
		lastUse = f.UsedAt.UTC().Format("2006-01-02T15:04:05.000000")
	}
	discoverable := any("Unknown")
	if p.Discoverable != nil {
		discoverable = *p.Discoverable
	}
	deviceType := "single_device"
	if p.Credential.Flags.BackupEligible {
		deviceType = "multi_device"
	}
	return map[string]any{
		"name": f.Name, "credential_id": base64.RawURLEncoding.EncodeToString(p.Credential.ID), "transports": transports,
		"lastuse": lastUse, "usage": p.Usage, "backup_state": p.Credential.Flags.BackupState, "device_type": deviceType,
		"discoverable": discoverable,
	}
}

// keyName checks a passkey's name: letters, digits, connectors, dashes
// and spaces, at most 64 characters, NFKC (Flask-Security 5.9's rules).
func keyName(name string) (string, bool) {
	name = strings.TrimSpace(norm.NFKC.String(name))
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return name, false
	}
	for _, r := range name {
		if !unicode.In(r, unicode.L, unicode.N, unicode.Pc, unicode.Pd, unicode.Zs) {
			return name, false
		}
	}
	return name, true
}

// wanRegisterView serves /wan-register to a logged-in user with a fresh
// login: GET lists their passkeys; POST name and usage begins a
// registration.
func (v *Views) wanRegisterView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fs, err := v.factorsOf(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		var list []map[string]any
		for _, f := range fs.keys {
			list = append(list, registeredKey(f))
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"registered_credentials": nonNilList(list)})
			return
		}
		v.render(w, r, http.StatusOK, "wan_register", i18n.UIPasskeysTitle, v.wanRegisterPage(list))
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fs, err := v.factorsOf(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		fe := &formErrors{}
		name, ok := keyName(f["name"])
		switch {
		case name == "":
			fe.add("name", v.text(r, i18n.WanNameRequired))
		case !ok:
			fe.add("name", v.text(r, i18n.WanNameInvalid))
		case slices.ContainsFunc(fs.keys, func(k *mfa.Factor) bool { return k.Name == name }):
			fe.add("name", v.text(r, i18n.WanNameTaken, "name", name))
		}
		usage := f["usage"]
		switch {
		case usage == "":
			usage = usageSecondary
		case usage != usageFirst && usage != usageSecondary:
			fe.add("usage", v.text(r, i18n.TwoFactorMethodNotAvailable))
		}
		if v.cfg.WebAuthn.NoFirstFactor {
			usage = usageSecondary
		}
		if fe.any() {
			v.fail(w, r, fe, "wan_register", i18n.UIPasskeysTitle, v.wanRegisterPage(nil))
			return
		}
		sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationDiscouraged}
		if usage == usageFirst {
			// Signing in with it alone: the key must hold the account.
			sel.ResidentKey, sel.UserVerification = protocol.ResidentKeyRequirementRequired, protocol.VerificationPreferred
			sel.RequireResidentKey = protocol.ResidentKeyRequired()
		}
		var exclude []protocol.CredentialDescriptor
		for _, k := range fs.keys {
			c := passkeyOf(k).Credential
			exclude = append(exclude, c.Descriptor())
		}
		creation, session, err := v.wa.BeginRegistration(waUser{u, fs.keys},
			webauthn.WithAuthenticatorSelection(sel), webauthn.WithExclusions(exclude),
			webauthn.WithConveyancePreference(protocol.PreferNoAttestation), webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		state := v.begin(w, &ceremony{Op: "register", UserID: u.ID, Name: name, Usage: usage, Session: *session}, registerWithin)
		opts := creation.Response
		if opts.CredentialExcludeList == nil {
			opts.CredentialExcludeList = []protocol.CredentialDescriptor{}
		}
		v.ok(w, r, map[string]any{"credential_options": opts, "wan_state": state})
	}))
}

func (v *Views) wanRegisterPage(list []map[string]any) page {
	return page{Action: v.cfg.Prefix + v.cfg.WebAuthn.RegisterPath, Extra: map[string]any{
		"keys": list, "first": !v.cfg.WebAuthn.NoFirstFactor, "delete": v.cfg.Prefix + v.cfg.WebAuthn.DeletePath,
	}}
}

func nonNilList(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

// wanRegisterFinishView serves /wan-register/{state}: the new
// credential, which is stored, and a notice mailed.
func (v *Views) wanRegisterFinishView() http.Handler {
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, v.cfg.Prefix+v.cfg.WebAuthn.RegisterPath, http.StatusSeeOther)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		u, _ := gatehouse.CurrentUser(ctx)
		c, msg, err := v.finish(w, r, "register", registerWithin)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if msg == "" && c.UserID != u.ID {
			msg = v.text(r, i18n.APIError)
		}
		if msg != "" {
			v.wanError(w, r, "", msg)
			return
		}
		fs, err := v.factorsOf(ctx, u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(credentialJSON(f))
		if err != nil {
			v.wanError(w, r, "credential", v.text(r, i18n.APIError))
			return
		}
		cred, err := v.wa.CreateCredential(waUser{u, fs.keys}, c.Session, parsed)
		if err != nil {
			v.wanError(w, r, "credential", v.text(r, i18n.WanNotVerified, "cause", webauthnCause(err)))
			return
		}
		for _, k := range fs.keys {
			if bytes.Equal(passkeyOf(k).Credential.ID, cred.ID) {
				v.wanError(w, r, "credential", v.text(r, i18n.WanAlreadyRegistered))
				return
			}
		}
		p := passkey{Usage: c.Usage, Credential: *cred}
		if props := parsed.ClientExtensionResults.CredProps; props != nil {
			p.Discoverable = props.RK
		}
		data, _ := json.Marshal(p)
		err = v.cfg.TwoFactor.Factors.AddFactor(ctx, &mfa.Factor{UserID: u.ID, Kind: mfa.KindWebAuthn, Name: c.Name, Data: data,
			Counter: int64(cred.Authenticator.SignCount), CreatedAt: v.cfg.Now()})
		if errors.Is(err, gatehouse.ErrDuplicate) {
			v.wanError(w, r, "credential", v.text(r, i18n.WanNameTaken, "name", c.Name))
			return
		}
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.log.InfoContext(ctx, "views: passkey registered", "event", "passkey_registered", "user_id", u.ID, "usage", c.Usage)
		v.notify(r, u, i18n.WanRegistered)
		var codes []string
		if c.Usage == usageSecondary && len(fs.recovery) == 0 {
			// A first second factor: and a way back in without it.
			if codes, err = v.newRecoveryCodes(ctx, u); err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
		}
		switch {
		case gatehouse.WantsJSON(r) && codes != nil:
			v.ok(w, r, map[string]any{"recovery_codes": codes})
		case codes != nil:
			pg := v.recoveryCodesPage(codes, len(codes))
			pg.Extra["next"] = v.cfg.Prefix + v.cfg.WebAuthn.RegisterPath
			pg.Flashes = []gatehouse.Flash{{Category: "success", Message: v.text(r, i18n.WanRegistered)}}
			v.render(w, r, http.StatusOK, "mf_recovery_codes", i18n.UIRecoveryCodesTitle, pg)
		default:
			v.done(w, r, nil, v.cfg.Prefix+v.cfg.WebAuthn.RegisterPath, i18n.WanRegistered)
		}
	}))
}

// webauthnCause is go-webauthn's reason, as a client may be told it.
func webauthnCause(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		return pe.Details
	}
	return "verification failed"
}

// wanSigninView serves /wan-signin: with a pending login that asked for
// a passkey, it begins that second factor; otherwise (unless
// NoFirstFactor) a sign-in with a passkey alone, which names the account
// itself (a discoverable credential).
func (v *Views) wanSigninView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		secondary, ok := v.wanSigninMode(w, r)
		if !ok {
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"is_secondary": secondary})
			return
		}
		v.render(w, r, http.StatusOK, "wan_signin", i18n.UIPasskeySignin, page{Action: v.cfg.Prefix + v.cfg.WebAuthn.SigninPath,
			Extra: map[string]any{"secondary": secondary, "recovery": v.cfg.Prefix + v.cfg.TwoFactor.RecoveryPath}})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		secondary, ok := v.wanSigninMode(w, r)
		if !ok {
			return
		}
		remember := f.bool("remember", v.cfg.DefaultRemember)
		c := &ceremony{Op: "signin", Secondary: secondary, Remember: remember}
		var assertion *protocol.CredentialAssertion
		var session *webauthn.SessionData
		var err error
		if secondary {
			p, u, ok, perr := v.pendingLogin(r)
			if perr != nil {
				v.auth.WriteError(w, r, perr)
				return
			}
			if !ok { // lapsed since wanSigninMode read it
				v.tfDenied(w, r)
				return
			}
			fs, ferr := v.factorsOf(r.Context(), u)
			if ferr != nil {
				v.auth.WriteError(w, r, ferr)
				return
			}
			if len(fs.secondary) == 0 { // deleted since the login began
				v.tfDenied(w, r)
				return
			}
			c.UserID, c.Remember = u.ID, p.Remember
			assertion, session, err = v.wa.BeginLogin(waUser{u, fs.secondary}, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
		} else {
			assertion, session, err = v.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
		}
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		c.Session = *session
		opts := assertion.Response
		if opts.AllowedCredentials == nil {
			opts.AllowedCredentials = []protocol.CredentialDescriptor{}
		}
		v.ok(w, r, map[string]any{"credential_options": opts, "wan_state": v.begin(w, c, signinWithin), "remember": remember, "is_secondary": secondary})
	})
}

// wanSigninMode is whether r signs in with a passkey as a second factor
// (a pending login that asked for one) or a first (if allowed); it
// answers the rest (a logged-in user gets 400, as anonymous views do).
func (v *Views) wanSigninMode(w http.ResponseWriter, r *http.Request) (secondary, ok bool) {
	if _, in := gatehouse.CurrentUser(r.Context()); in {
		v.auth.Deny(w, r, gatehouse.ErrAnonymousRequired)
		return false, false
	}
	p, _, pending, err := v.pendingLogin(r)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return false, false
	}
	if pending && p.State == tfReady && p.Method == methodWebAuthn {
		return true, true
	}
	if v.cfg.WebAuthn.NoFirstFactor {
		http.NotFound(w, r)
		return false, false
	}
	return false, true
}

// wanSigninFinishView serves /wan-signin/{state}: the signed assertion.
// As a second factor, it must be a key of the pending login's user; as a
// first, the key names its user, and one that verified its user (a PIN,
// a fingerprint) is two factors by itself.
func (v *Views) wanSigninFinishView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, v.cfg.Prefix+v.cfg.WebAuthn.SigninPath, http.StatusSeeOther)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		c, msg, err := v.finish(w, r, "signin", signinWithin)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if msg != "" {
			v.wanError(w, r, "", msg)
			return
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(credentialJSON(f))
		if err != nil {
			v.wanError(w, r, "credential", v.text(r, i18n.APIError))
			return
		}
		if c.Secondary {
			p, u, ok, err := v.pendingLogin(r)
			switch {
			case err != nil:
				v.auth.WriteError(w, r, err)
				return
			case !ok || u.ID != c.UserID:
				v.tfDenied(w, r)
				return
			}
			fs, err := v.factorsOf(ctx, u)
			if err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
			key, err := v.checkPasskey(ctx, u, fs.secondary, func(ctx context.Context) (*webauthn.Credential, error) {
				return v.wa.ValidateLogin(waUser{u, fs.secondary}, c.Session, parsed)
			})
			if v.passkeyFailed(w, r, err) {
				return
			}
			_ = key
			v.finishLogin(w, r, u, p, true, nil)
			return
		}
		// First factor: the key names its user (the user handle, which is
		// the user's ID); its check is throttled for that account.
		owner, err := v.st.Users.UserByID(ctx, string(parsed.Response.UserHandle))
		if errors.Is(err, gatehouse.ErrNotFound) || len(parsed.Response.UserHandle) == 0 {
			v.wanError(w, r, "credential", v.text(r, i18n.WanUnregistered))
			return
		}
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		fs, err := v.factorsOf(ctx, owner)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		keys := keysFor(fs.keys, usageFirst)
		if !slices.ContainsFunc(keys, func(k *mfa.Factor) bool { return bytes.Equal(passkeyOf(k).Credential.ID, parsed.RawID) }) {
			// Not a key of theirs: no check of their account's is spent on
			// it (the user handle is anybody's to write), and the answer is
			// the one for an unknown user.
			v.wanError(w, r, "credential", v.text(r, i18n.WanUnregistered))
			return
		}
		if _, err := v.checkPasskey(ctx, owner, keys, func(context.Context) (*webauthn.Credential, error) {
			_, cred, err := v.wa.ValidatePasskeyLogin(func([]byte, []byte) (webauthn.User, error) { return waUser{owner, keys}, nil }, c.Session, parsed)
			return cred, err
		}); v.passkeyFailed(w, r, err) {
			return
		}
		if !v.loginAllowed(owner) {
			v.wanError(w, r, "credential", v.text(r, i18n.DisabledAccount))
			return
		}
		o := gatehouse.LoginOptions{Remember: c.Remember}
		if parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
			// A key that verified its user is two factors by itself.
			v.clearPending(w)
			if err := v.auth.Login(w, r, owner, o); err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
		} else if handled, err := v.signIn(w, r, owner, o, viaPasskey); err != nil || handled {
			if err != nil {
				v.auth.WriteError(w, r, err)
			}
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, v.tfNotRequired(map[string]any{"user": v.loginPayload(r, owner), "post_login_url": v.auth.Config().PostLoginURL}))
			return
		}
		http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
	})
}

// checkPasskey validates an assertion by one of keys through the
// throttle (as a second factor is), and records the key's use: its new
// signature count must pass the stored one (a cloned key's would not).
// Keys that keep no count (synced passkeys report 0 always) have their
// use noted only; the ceremony, spent in finish, is what makes their
// assertions work once.
func (v *Views) checkPasskey(ctx context.Context, u *gatehouse.User, keys []*mfa.Factor, validate func(ctx context.Context) (*webauthn.Credential, error)) (*mfa.Factor, error) {
	var used *mfa.Factor
	err := v.auth.CheckFactor(ctx, u, func(ctx context.Context) error {
		cred, err := validate(ctx)
		if err != nil {
			return gatehouse.ErrInvalidCredentials
		}
		for _, k := range keys {
			if bytes.Equal(passkeyOf(k).Credential.ID, cred.ID) {
				used = k
			}
		}
		if used == nil {
			return gatehouse.ErrInvalidCredentials
		}
		counter := int64(cred.Authenticator.SignCount)
		if counter == 0 && used.Counter > 0 {
			return gatehouse.ErrInvalidCredentials // it counted, and now says 0: a clone
		}
		// Counter 0 records the use of a key that keeps no count.
		err = v.cfg.TwoFactor.Factors.UseFactor(ctx, u.ID, used.ID, counter, v.cfg.Now())
		if errors.Is(err, gatehouse.ErrConflict) {
			return gatehouse.ErrInvalidCredentials // the count went back: a cloned key, or a replay
		}
		return err
	})
	return used, err
}

// passkeyFailed answers a passkey check that failed, and reports whether
// it did.
func (v *Views) passkeyFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, gatehouse.ErrInvalidCredentials):
		v.wanError(w, r, "credential", v.text(r, i18n.WanNotVerified, "cause", "verification failed"))
	default:
		v.auth.WriteError(w, r, err)
	}
	return true
}

// wanDeleteView serves /wan-delete: a logged-in user with a fresh login
// deletes a passkey by name.
func (v *Views) wanDeleteView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		v.ok(w, r, nil)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		u, _ := gatehouse.CurrentUser(ctx)
		fs, err := v.factorsOf(ctx, u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		name := strings.TrimSpace(f["name"])
		i := slices.IndexFunc(fs.keys, func(k *mfa.Factor) bool { return k.Name == name })
		if i < 0 {
			fe := &formErrors{}
			msg := v.text(r, i18n.WanNameRequired)
			if name != "" {
				msg = v.text(r, i18n.WanNotRegistered, "name", name)
			}
			fe.add("name", msg)
			v.fail(w, r, fe, "wan_register", i18n.UIPasskeysTitle, v.wanRegisterPage(nil))
			return
		}
		if err := v.cfg.TwoFactor.Factors.DeleteFactors(ctx, u.ID, fs.keys[i].ID); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.log.InfoContext(ctx, "views: passkey deleted", "event", "passkey_deleted", "user_id", u.ID)
		v.notify(r, u, i18n.WanDeleted)
		v.done(w, r, nil, v.cfg.Prefix+v.cfg.WebAuthn.RegisterPath, i18n.WanDeleted)
	}))
}

// wanVerifyView serves /wan-verify: a logged-in user re-authenticates
// with one of their passkeys (then /wan-verify/{state}).
func (v *Views) wanVerifyView() http.Handler {
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		v.ok(w, r, nil)
	}, func(w http.ResponseWriter, r *http.Request, _ form) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fs, err := v.factorsOf(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if len(fs.keys) == 0 {
			v.wanError(w, r, "credential", v.text(r, i18n.WanUnregistered))
			return
		}
		assertion, session, err := v.wa.BeginLogin(waUser{u, fs.keys}, webauthn.WithUserVerification(protocol.VerificationPreferred))
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		state := v.begin(w, &ceremony{Op: "verify", UserID: u.ID, Session: *session}, signinWithin)
		v.ok(w, r, map[string]any{"credential_options": assertion.Response, "wan_state": state})
	}))
}

// wanVerifyFinishView serves /wan-verify/{state}: the assertion, by one of
// the logged-in user's own keys, makes the login fresh.
func (v *Views) wanVerifyFinishView() http.Handler {
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, v.cfg.Prefix+v.cfg.VerifyPath, http.StatusSeeOther)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		u, _ := gatehouse.CurrentUser(ctx)
		c, msg, err := v.finish(w, r, "verify", signinWithin)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if msg == "" && c.UserID != u.ID {
			msg = v.text(r, i18n.WanUserMismatch)
		}
		if msg != "" {
			v.wanError(w, r, "", msg)
			return
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(credentialJSON(f))
		if err != nil {
			v.wanError(w, r, "credential", v.text(r, i18n.APIError))
			return
		}
		fs, err := v.factorsOf(ctx, u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if _, err := v.checkPasskey(ctx, u, fs.keys, func(context.Context) (*webauthn.Credential, error) {
			return v.wa.ValidateLogin(waUser{u, fs.keys}, c.Session, parsed)
		}); v.passkeyFailed(w, r, err) {
			return
		}
		if err := v.auth.ConfirmLogin(w, r); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.done(w, r, map[string]any{"user": v.loginPayload(r, u)}, v.nextURL(w, r), i18n.ReauthenticationSuccessful)
	}))
}

//go:embed static
var staticFiles embed.FS

// staticView serves the views' script (the WebAuthn ceremonies in the
// browser), from this origin, as the pages' Content-Security-Policy asks.
func (v *Views) staticView() http.Handler {
	js, _ := staticFiles.ReadFile("static/webauthn.js")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(js)
	})
}
