package views

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// Message is one email the views send: a confirmation link, reset
// instructions, a notice.
type Message struct {
	To      string
	Subject string
	Text    string // plain-text body
	HTML    string // HTML body; may be empty
	// Kind names the template it was made from ("reset_instructions", ...),
	// for logs and tests.
	Kind string
}

// Mailer sends email; package mail has an SMTP one and a development
// mailbox. The views call it only from the outbox workers (Views.Run),
// never on a request, so Send may block (within ctx).
type Mailer interface {
	// Send delivers m or returns an error. An error wrapping
	// ErrMailRejected is permanent (an SMTP 5xx: no such mailbox, say) and
	// is not retried; any other error is retried with backoff.
	Send(ctx context.Context, m *Message) error
}

// MailerFunc adapts a function to the Mailer interface, to hand mail to an
// application's own queue or to a test.
type MailerFunc func(ctx context.Context, m *Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m *Message) error { return f(ctx, m) }

// ErrMailRejected is a permanent mail failure (an SMTP 5xx reply, such as
// no such mailbox): the outbox does not retry it. Mailers wrap it.
var ErrMailRejected = errors.New("views: mail rejected")

// The kinds of one-time token the views issue (gatehouse.Manager.IssueToken)
// for the links they mail.
const (
	TokenConfirm = "confirm"
	TokenReset   = "reset"
	TokenLogin   = "login"
)

// The mails the views send, by template name.
const (
	mailWelcome      = "welcome"
	mailConfirm      = "confirmation_instructions"
	mailReset        = "reset_instructions"
	mailLogin        = "login_instructions"
	mailResetNotice  = "reset_notice"
	mailChangeNotice = "change_notice"
	// mailRegisterNotice tells the owner of an address that someone tried
	// to sign up with it.
	mailRegisterNotice = "register_notice"
	// mailUnlock tells the owner of an account locked by the engine's
	// ThrottleConfig.Lockout, with a reset link to unlock it.
	mailUnlock = "unlock_instructions"
	// mailTwoFactorCode carries a one-time sign-in code.
	mailTwoFactorCode = "two_factor_code"
	// mailTwoFactorNotice tells a user a second factor was added, changed,
	// removed or used.
	mailTwoFactorNotice = "two_factor_notice"
	// mailTwoFactorRescue asks the site's helpers (RescueAddress) to help
	// a user who lost their second factor.
	mailTwoFactorRescue = "two_factor_rescue"
	// mailChangeEmail carries the link that confirms a new address, to
	// that address; mailEmailChanged tells the old address of the change.
	mailChangeEmail  = "change_email_instructions"
	mailEmailChanged = "change_email_notice"
	// mailUsernameChanged tells a user their username changed;
	// mailUsernameRecovery reminds them of it.
	mailUsernameChanged  = "change_username_notice"
	mailUsernameRecovery = "username_recovery"
	// mailAccountDeleted tells the address of an account deleted by its
	// owner.
	mailAccountDeleted = "account_deleted_notice"
)

// mailKinds are every mail, for parsing their templates in New.
var mailKinds = []string{mailWelcome, mailConfirm, mailReset, mailLogin, mailResetNotice, mailChangeNotice, mailRegisterNotice, mailUnlock,
	mailTwoFactorCode, mailTwoFactorNotice, mailTwoFactorRescue, mailChangeEmail, mailEmailChanged, mailUsernameChanged,
	mailUsernameRecovery, mailAccountDeleted, mailSigninCode}

// link is an absolute URL on the configured BaseURL, never the request's
// Host: a forged Host header cannot send a user's reset link elsewhere.
// With no token it is the view's own page.
func (v *Views) link(path, token string) string {
	l := strings.TrimSuffix(v.cfg.BaseURL, "/") + v.cfg.Prefix + path
	if token != "" {
		l += "/" + token
	}
	return l
}

// humanDuration says d in lang ("5 days", "5日"), for mails.
func (v *Views) humanDuration(lang string, d time.Duration) string {
	n, unit := int(d/time.Minute), i18n.UIMinute
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int(d/(24*time.Hour)), i18n.UIDay
	case d%time.Hour == 0:
		n, unit = int(d/time.Hour), i18n.UIHour
	}
	if n != 1 {
		unit += "S"
	}
	return v.texts.Text(lang, unit, "n", strconv.Itoa(n))
}

// SendMail sends the application's own mail to u through the views'
// templates, language and outbox (Flask-Security's send_mail): template
// names a template in MailConfig.Templates (template.txt, and
// template.html if there is one), rendered now with data (and Email,
// User and what MailConfig.Context adds) in lang ("" for English); the
// message is queued, so the outbox's durability
// and retries apply, and Run's workers send it. A template that is
// missing or fails to render is an error here.
func (v *Views) SendMail(ctx context.Context, u *gatehouse.User, subject, template, lang string, data map[string]any) error {
	if u == nil || u.ID == "" {
		return errors.New("views: SendMail needs a stored user")
	}
	if !v.texts.Has(lang) {
		lang = i18n.Reference // English
	}
	if data == nil {
		data = map[string]any{}
	}
	msg, err := v.renderMail(template, subject, lang, u, data)
	if err != nil {
		return fmt.Errorf("views: SendMail %s: %w", template, err)
	}
	return v.enqueueMail(ctx, mailPayload{Kind: template, UserID: u.ID, Lang: lang, Message: msg})
}
