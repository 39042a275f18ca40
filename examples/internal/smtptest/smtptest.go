// Package smtptest is a real SMTP server (emersion/go-smtp) on loopback for
// tests: it keeps what it receives, MIME-decoded, so a test can read a mail
// and follow its links.
package smtptest

import (
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is a running test SMTP server.
type Server struct {
	// Addr is host:port.
	Addr     string
	mu       sync.Mutex
	msgs     []Mail
	all      []Mail // every message received, never taken
	rcpts    map[string]int
	rejected map[string]bool
	cond     *sync.Cond
}

// Mail is one received message, decoded.
type Mail struct {
	To, Subject, Text, HTML string
}

// Start starts a server on a free loopback port, stopped at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartAt(t, "127.0.0.1:0")
}

// StartAt starts a server on addr, stopped at cleanup.
func StartAt(t testing.TB, addr string) *Server {
	t.Helper()
	ms := &Server{rcpts: map[string]int{}, rejected: map[string]bool{}}
	ms.cond = sync.NewCond(&ms.mu)
	s := smtp.NewServer(backend{ms})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ms.Addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ms
}

type backend struct{ ms *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{ms: b.ms}, nil }

type session struct {
	ms *Server
	to string
}

func (s *session) Reset()                               { s.to = "" }
func (s *session) Logout() error                        { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	s.ms.rcpts[to]++
	if s.ms.rejected[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	s.to = to
	return nil
}
func (s *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	rec := Mail{To: s.to}
	dec := new(mime.WordDecoder)
	rec.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &rec)
	s.ms.mu.Lock()
	s.ms.msgs = append(s.ms.msgs, rec)
	s.ms.all = append(s.ms.all, rec)
	s.ms.cond.Broadcast()
	s.ms.mu.Unlock()
	return nil
}

func readPart(contentType, encoding string, body io.Reader, rec *Mail) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, rec)
		}
	}
	var r io.Reader = body
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(r)
	switch mt {
	case "text/plain":
		rec.Text = string(b)
	case "text/html":
		rec.HTML = string(b)
	}
}

// Reject makes the server refuse mail to addr for good (550 5.1.1).
func (ms *Server) Reject(addr string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.rejected[addr] = true
}

// Attempts reports how many times a client named addr as a recipient,
// accepted or not.
func (ms *Server) Attempts(addr string) int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.rcpts[addr]
}

// Received returns every message received so far, in order (WaitFor does
// not remove them from this list).
func (ms *Server) Received() []Mail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]Mail(nil), ms.all...)
}

// WaitCount waits up to d until at least n messages have been received in
// all, and returns them.
func (ms *Server) WaitCount(t testing.TB, n int, d time.Duration) []Mail {
	t.Helper()
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() { ms.mu.Lock(); ms.cond.Broadcast(); ms.mu.Unlock() })
	defer timer.Stop()
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for len(ms.all) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d mails within %v, want %d", len(ms.all), d, n)
		}
		ms.cond.Wait()
	}
	return append([]Mail(nil), ms.all...)
}

// WaitFor takes the first message to `to` whose subject contains subject,
// waiting up to 10 seconds.
func (ms *Server) WaitFor(t testing.TB, to, subject string) Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	timer := time.AfterFunc(10*time.Second, func() { ms.mu.Lock(); ms.cond.Broadcast(); ms.mu.Unlock() })
	defer timer.Stop()
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for {
		for i, m := range ms.msgs {
			if m.To == to && strings.Contains(m.Subject, subject) {
				ms.msgs = append(ms.msgs[:i:i], ms.msgs[i+1:]...)
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with subject %q within 10s (have %d others)", to, subject, len(ms.msgs))
		}
		ms.cond.Wait()
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link is the one link in a mail's text, checked to be in its HTML part
// too.
func (r Mail) Link(t testing.TB) string {
	t.Helper()
	l := linkRE.FindString(r.Text)
	if l == "" {
		t.Fatalf("no link in mail %q:\n%s", r.Subject, r.Text)
	}
	if !strings.Contains(r.HTML, l) {
		t.Errorf("HTML part lacks the link %s:\n%s", l, r.HTML)
	}
	return l
}
