// Package mail sends gatehouse's email: [SMTP] over a real server, and
// [Mailbox], a development mailbox that keeps messages in memory (and can
// print them) so a developer can follow confirmation and reset links without
// an SMTP server. Mailbox is never a default: it would put reset links in
// logs.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"

	"github.com/gatehouse-auth/gatehouse/views"
	gomail "github.com/wneessen/go-mail"
)

// TLS modes for [SMTP].
const (
	// STARTTLS upgrades the connection and refuses to send without it.
	STARTTLS = "starttls"
	// Implicit speaks TLS from the start (SMTPS, usually port 465).
	Implicit = "tls"
	// Opportunistic uses STARTTLS when the server offers it, plain text
	// otherwise.
	Opportunistic = "opportunistic"
	// None sends in plain text: only for a server on localhost.
	None = "none"
)

// SMTP sends mail through an SMTP server with github.com/wneessen/go-mail, a
// maintained client with STARTTLS, implicit TLS, authentication and
// timeouts. The zero value is not usable: set Host and From.
type SMTP struct {
	Host string
	// Port. Default: 587, or 465 with TLS Implicit.
	Port int
	// From is the sender address, such as "Example <no-reply@example.com>".
	From string
	// Username and Password authenticate (PLAIN, or LOGIN when the server
	// offers only that); none if Username is empty.
	Username, Password string
	// TLS is STARTTLS (the default), Implicit, Opportunistic or None.
	TLS string
	// TLSConfig overrides the TLS settings (a private CA, say).
	TLSConfig *tls.Config
	// Timeout for connecting and each command. Default: 15 seconds.
	Timeout time.Duration
	// HELO is the name this client gives. Default: go-mail's (the hostname).
	HELO string
}

var _ views.Mailer = (*SMTP)(nil)

// Send implements views.Mailer: one connection per message. A
// permanent refusal by the server (an SMTP 5xx reply) wraps
// views.ErrMailRejected, so the outbox does not retry it; anything
// else (the server unreachable, a 4xx) is worth retrying.
func (s *SMTP) Send(ctx context.Context, m *views.Message) error {
	if s.Host == "" || s.From == "" {
		return errors.New("mail: SMTP needs Host and From")
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(asciiDomain(m.To)); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	switch {
	case m.Text == "" && m.HTML != "": // HTML only (views.MailConfig.NoText)
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		if m.HTML != "" {
			msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
		}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout)}
	port := s.Port
	switch s.TLS {
	case "", STARTTLS:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	case Implicit:
		opts = append(opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case Opportunistic:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	case None:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return fmt.Errorf("mail: unknown TLS mode %q", s.TLS)
	}
	if port == 0 {
		port = 587
	}
	opts = append(opts, gomail.WithPort(port))
	if s.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.TLSConfig))
	}
	if s.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.HELO))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithUsername(s.Username), gomail.WithPassword(s.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			// A permanent refusal (no such mailbox, say): retrying cannot help.
			return fmt.Errorf("mail: %s:%d refused the message (SMTP %d): %w: %w", s.Host, port, se.ErrorCode(), views.ErrMailRejected, err)
		}
		return fmt.Errorf("mail: sending to %s:%d: %w", s.Host, port, err)
	}
	return nil
}

// asciiDomain writes an address's domain as IDNA A-labels
// ("xn--bcher-kva.example"): gatehouse stores domains in Unicode, which
// servers without SMTPUTF8 refuse.
func asciiDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	d, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil {
		return addr
	}
	return addr[:at+1] + d
}

// Mailbox is a development mailer: it keeps every message in memory, newest
// first, for a page such as the demo's /dev/mail, and optionally calls Print
// for each (to show them on the console). Never use it in production: links
// in mails are secrets.
type Mailbox struct {
	// Print, if set, is called for every message sent.
	Print func(m *views.Message)
	// Max messages kept. Default: 200.
	Max int

	mu   sync.Mutex
	msgs []Sent
}

// Sent is a message a [Mailbox] received.
type Sent struct {
	views.Message
	At time.Time
}

var _ views.Mailer = (*Mailbox)(nil)

// Send implements views.Mailer.
func (b *Mailbox) Send(_ context.Context, m *views.Message) error {
	b.mu.Lock()
	max := b.Max
	if max <= 0 {
		max = 200
	}
	b.msgs = append([]Sent{{Message: *m, At: time.Now()}}, b.msgs...)
	if len(b.msgs) > max {
		b.msgs = b.msgs[:max]
	}
	b.mu.Unlock()
	if b.Print != nil {
		b.Print(m)
	}
	return nil
}

// Messages returns the messages received, newest first.
func (b *Mailbox) Messages() []Sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Sent(nil), b.msgs...)
}
