package main_test

import (
	"bytes"
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

// mailServer is a real SMTP server (emersion/go-smtp) on loopback that keeps
// what it receives, decoded.
type mailServer struct {
	addr string
	mu   sync.Mutex
	msgs []received
	cond *sync.Cond
}

type received struct {
	to, subject, text, html string
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	ms := &mailServer{}
	ms.cond = sync.NewCond(&ms.mu)
	s := smtp.NewServer(backend{ms})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ms
}

type backend struct{ ms *mailServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{ms: b.ms}, nil }

type session struct {
	ms *mailServer
	to string
}

func (s *session) Reset()                                    { s.to = "" }
func (s *session) Logout() error                             { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	rec := received{to: s.to}
	dec := new(mime.WordDecoder)
	rec.subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &rec)
	s.ms.mu.Lock()
	s.ms.msgs = append(s.ms.msgs, rec)
	s.ms.cond.Broadcast()
	s.ms.mu.Unlock()
	return nil
}

func readPart(contentType, encoding string, body io.Reader, rec *received) {
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
		rec.text = string(b)
	case "text/html":
		rec.html = string(b)
	}
}

// waitFor returns the first message to `to` whose subject contains
// subject, received after skip earlier matches, waiting up to 10s.
func (ms *mailServer) waitFor(t *testing.T, to, subject string) received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	timer := time.AfterFunc(10*time.Second, func() { ms.mu.Lock(); ms.cond.Broadcast(); ms.mu.Unlock() })
	defer timer.Stop()
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for {
		for i, m := range ms.msgs {
			if m.to == to && strings.Contains(m.subject, subject) {
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

var linkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/[^\s"<>]+`)

// link is the one link in a mail's text, checked to be the same in its
// HTML part.
func (r received) link(t *testing.T) string {
	t.Helper()
	l := linkRE.FindString(r.text)
	if l == "" {
		t.Fatalf("no link in mail %q:\n%s", r.subject, r.text)
	}
	if !bytes.Contains([]byte(r.html), []byte(l)) {
		t.Errorf("HTML part lacks the link %s:\n%s", l, r.html)
	}
	return l
}
