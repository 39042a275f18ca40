// The mail package's SMTP client, tested against this package's real
// SMTP server: here, in the examples module, so that the server's
// dependency (go-smtp) stays out of the library's go.mod.
package smtptest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/examples/internal/smtptest"
	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

func TestSMTPSend(t *testing.T) {
	srv := smtptest.Start(t)
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	s := &mail.SMTP{Host: host, Port: p, TLS: mail.None, From: "Gatehouse <no-reply@example.com>", Timeout: 5 * time.Second}
	err := s.Send(context.Background(), &views.Message{
		To: "ada@example.com", Subject: "Grüße", Text: "a link: https://example.com/reset/abc.def=ghi",
		HTML: `<p><a href="https://example.com/reset/abc.def=ghi">https://example.com/reset/abc.def=ghi</a></p>`,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := srv.WaitFor(t, "ada@example.com", "Grüße")
	if l := m.Link(t); l != "https://example.com/reset/abc.def=ghi" {
		t.Errorf("link %q", l)
	}
	// HTML only (views.MailConfig.NoText): one text/html body.
	if err := s.Send(context.Background(), &views.Message{To: "bo@example.com", Subject: "html", HTML: "<p>only html</p>"}); err != nil {
		t.Fatal(err)
	}
	if m := srv.WaitFor(t, "bo@example.com", "html"); m.Text != "" || !strings.Contains(m.HTML, "only html") {
		t.Errorf("an HTML-only mail arrived as text %q, HTML %q", m.Text, m.HTML)
	}
	// STARTTLS is required by default: a server without it is refused.
	strict := *s
	strict.TLS = ""
	if err := strict.Send(context.Background(), &views.Message{To: "ada@example.com", Subject: "x", Text: "x"}); err == nil {
		t.Error("sent without STARTTLS to a server that offers none")
	}
	if err := (&mail.SMTP{}).Send(context.Background(), &views.Message{}); err == nil {
		t.Error("zero SMTP sent")
	}
}

// A reset mail requested while the SMTP server is down arrives once it
// comes up: Manager.Run retries with backoff.
func TestMailSurvivesSMTPOutage(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens here yet
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		Cookie: gatehouse.CookieConfig{Insecure: true},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := views.New(m, views.Config{
		Recoverable: true, BaseURL: "https://app.example.com",
		Mail: views.MailConfig{
			Mailer:     &mail.SMTP{Host: host, Port: p, TLS: mail.None, From: "no-reply@example.com", Timeout: time.Second},
			RetryDelay: 50 * time.Millisecond,
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go v.Run(ctx)
	if err := m.CreateUser(ctx, &gatehouse.User{Email: "ada@example.com", Active: true}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(m.Authenticate(v.Routes()))
	defer web.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest("GET", web.URL+"/reset", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Response struct {
			CSRF string `json:"csrf_token"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	req, _ = http.NewRequest("POST", web.URL+"/reset", strings.NewReader(`{"email":"ada@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", env.Response.CSRF)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("forgot: %d %s", resp.StatusCode, body)
	}
	time.Sleep(200 * time.Millisecond) // a few failed attempts
	srv := smtptest.StartAt(t, addr)
	msg := srv.WaitFor(t, "ada@example.com", "Password reset")
	if l := msg.Link(t); !strings.HasPrefix(l, "https://app.example.com/reset/") {
		t.Errorf("link %s", l)
	}
}
