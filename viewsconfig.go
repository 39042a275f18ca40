package gatehouse

import (
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/gatehouse-auth/gatehouse/password"
)

// defaultTokenMaxAge is how long an API auth token lives by default.
const defaultTokenMaxAge = 24 * time.Hour

// viewDefaults fills in ViewsConfig, MailConfig and CSRFConfig defaults and
// checks that features have what they need.
func (c *Config) viewDefaults() []error {
	var errs []error
	v := &c.Views
	for _, p := range []*struct {
		f   *string
		def string
	}{
		{&v.LoginPath, "/login"}, {&v.LogoutPath, "/logout"}, {&v.RegisterPath, "/register"},
		{&v.ConfirmPath, "/confirm"}, {&v.ResetPath, "/reset"}, {&v.ChangePath, "/change"}, {&v.VerifyPath, "/verify"},
		{&v.TokenHeader, "Authentication-Token"}, {&v.BasicRealm, "Login Required"},
		{&v.PostLogoutURL, "/"}, {&v.PostRegisterURL, c.PostLoginURL}, {&v.PostConfirmURL, c.PostLoginURL},
		{&v.PostResetURL, c.PostLoginURL}, {&v.PostChangeURL, c.PostLoginURL},
	} {
		if *p.f == "" {
			*p.f = p.def
		}
	}
	for _, d := range []struct {
		f   *time.Duration
		def time.Duration
	}{{&v.ConfirmWithin, 5 * 24 * time.Hour}, {&v.ResetWithin, 5 * 24 * time.Hour}, {&v.LoginWithin, 24 * time.Hour}} {
		if *d.f <= 0 {
			*d.f = d.def
		}
	}
	switch {
	case v.TokenMaxAge == 0:
		v.TokenMaxAge = defaultTokenMaxAge
	case v.TokenMaxAge < 0:
		v.TokenMaxAge = 0 // token.Signer: no age limit
	}
	if v.RegisterPerIP.Count <= 0 {
		v.RegisterPerIP = Limit{Count: 10, Per: time.Hour}
	}
	if len(v.IdentityAttributes) == 0 {
		v.IdentityAttributes = []string{"email"}
	}
	for _, a := range v.IdentityAttributes {
		if a != "email" && a != "username" {
			errs = append(errs, errors.New("identity attributes are \"email\" and \"username\""))
		}
	}
	if slices.Contains(v.IdentityAttributes, "username") {
		if _, ok := c.Users.(UsernameLookup); !ok && c.Users != nil {
			errs = append(errs, errors.New("identity attribute username needs a user store that is a UsernameLookup"))
		}
	}
	// The policy refuses what the hasher cannot take (bcrypt's 72 bytes),
	// so such a password is a field error, not a failure to hash.
	hasher := any(c.Hasher)
	if c.Hasher == nil {
		hasher = password.Argon2id{}
	}
	switch p := v.PasswordPolicy.(type) {
	case nil:
		v.PasswordPolicy = password.Policy{MaxBytes: password.MaxPasswordBytes(hasher)}
	case password.Policy:
		if p.MaxBytes == 0 {
			p.MaxBytes = password.MaxPasswordBytes(hasher)
			v.PasswordPolicy = p
		}
	}
	if c.Mail.Outbox == nil {
		c.Mail.Outbox, _ = c.Users.(Outbox)
	}
	linkMails := c.Confirmable || c.Recoverable || c.Passwordless
	if linkMails || c.Registerable && !c.Mail.DisableWelcome || c.Changeable && !c.Mail.DisableChangeNotice {
		if c.Mail.Mailer == nil {
			errs = append(errs, errors.New("missing Mail.Mailer: Confirmable, Recoverable and Passwordless send mail, and so do Registerable and Changeable unless Mail.DisableWelcome and Mail.DisableChangeNotice are set"))
		}
		if c.Mail.Outbox == nil {
			errs = append(errs, errors.New("missing Mail.Outbox: mail waits in a durable outbox until it is sent; use a store that is an Outbox"))
		}
	}
	if linkMails {
		if c.Tokens == nil {
			errs = append(errs, errors.New("missing Tokens: Confirmable, Recoverable and Passwordless need a TokenStore"))
		}
		u, err := url.Parse(v.BaseURL)
		if v.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("missing Views.BaseURL (such as https://example.com): links in mails are built from it, never from the request's Host"))
		}
	}
	mc := &c.Mail
	for _, d := range []struct {
		f   *time.Duration
		def time.Duration
	}{
		{&mc.RetryDelay, time.Second}, {&mc.MaxRetryDelay, defaultMaxRetry}, {&mc.GiveUpAfter, defaultGiveUp},
		{&mc.SendTimeout, defaultSendTimeout}, {&mc.Lease, defaultMailLease},
	} {
		if *d.f <= 0 {
			*d.f = d.def
		}
	}
	if mc.Lease <= mc.SendTimeout {
		errs = append(errs, errors.New("Mail.Lease must exceed Mail.SendTimeout, or a slow send could be taken over and sent twice"))
	}
	if mc.Workers <= 0 {
		mc.Workers = defaultMailWorkers
	}
	if mc.PerAddress.Count <= 0 {
		mc.PerAddress = Limit{Count: 5, Per: time.Hour}
	}
	return errs
}
