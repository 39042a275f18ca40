package views_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

// EMAIL_PLAINTEXT and EMAIL_HTML: either part can be left out, not both.
func TestMailParts(t *testing.T) {
	for _, tc := range []struct {
		name           string
		noText, noHTML bool
	}{{"both", false, false}, {"text only", false, true}, {"HTML only", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
				v.Recoverable = true
				v.Mail.NoText, v.Mail.NoHTML = tc.noText, tc.noHTML
			}, nil)
			c := ve.jsonClient()
			c.do("GET", "/reset", "")
			c.do("POST", "/reset", `{"email":"alice@example.com"}`)
			mails := ve.sent()
			if len(mails) != 1 {
				t.Fatalf("%d mails", len(mails))
			}
			m := mails[0]
			if (m.Text == "") != tc.noText || (m.HTML == "") != tc.noHTML {
				t.Errorf("text %d bytes, HTML %d bytes", len(m.Text), len(m.HTML))
			}
		})
	}
	m, err := gatehouse.New(engineConfig(memstore.New(), testutil.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := views.New(m, views.Config{BaseURL: "https://x.example", Mail: views.MailConfig{NoText: true, NoHTML: true,
		Mailer: views.MailerFunc(func(context.Context, *views.Message) error { return nil })}}); err == nil {
		t.Error("NoText and NoHTML together were accepted")
	}
}

// SendMail: the app's own mail through the views' templates and outbox.
func TestSendMail(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Mail.Templates = fstest.MapFS{
			"bonus.txt":  {Data: []byte("Hello {{.Email}}, you have {{.Bonus}}.")},
			"bonus.html": {Data: []byte("<p>Hello {{.Email}}, you have <b>{{.Bonus}}</b>.</p>")},
		}
	}, nil)
	ctx := context.Background()
	if err := ve.v.SendMail(ctx, ve.user, "Your bonus", "bonus", "", map[string]any{"Bonus": "10 credits"}); err != nil {
		t.Fatal(err)
	}
	mails := ve.sent()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	if m.To != "alice@example.com" || m.Subject != "Your bonus" || m.Text != "Hello alice@example.com, you have 10 credits." ||
		!strings.Contains(m.HTML, "<b>10 credits</b>") {
		t.Errorf("mail: %+v", m)
	}
	if err := ve.v.SendMail(ctx, ve.user, "x", "no_such_template", "", nil); err == nil {
		t.Error("a missing template was accepted")
	}
}

// SEND_PASSWORD_RESET_EMAIL = False: the app sends the reset link its own
// way; the link works; the Mailer sends no reset mail.
func TestResetByApp(t *testing.T) {
	var links []string
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Recoverable = true
		v.Mail.ResetByApp = func(_ context.Context, u *gatehouse.User, link string) error {
			if u.Email != "alice@example.com" {
				t.Errorf("ResetByApp for %s", u.Email)
			}
			links = append(links, link)
			return nil
		}
	}, nil)
	c := ve.jsonClient()
	c.do("GET", "/reset", "")
	c.do("POST", "/reset", `{"email":"alice@example.com"}`)
	for _, m := range ve.sent() {
		if m.Kind == "reset_instructions" {
			t.Error("the Mailer sent reset instructions")
		}
	}
	if len(links) != 1 {
		t.Fatalf("ResetByApp got %d links", len(links))
	}
	path := strings.TrimPrefix(links[0], "https://app.example.com")
	c.do("GET", path, "")
	if status, _, raw := c.do("POST", path, `{"password":"a brand new passphrase","password_confirm":"a brand new passphrase"}`); status != 200 {
		t.Errorf("the app's link: %d %s", status, raw)
	}
}

// RegisterFields: registration keeps the app's own fields in User.Fields,
// which the store keeps (Flask-Security's custom model columns).
func TestRegisterFields(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Registerable = true
		v.RegisterFields = []string{"first_name", "company"}
	}, nil)
	c := ve.jsonClient()
	c.do("GET", "/register", "")
	status, _, raw := c.do("POST", "/register", `{"email":"ada@example.com","password":"a long passphrase 1","first_name":" Ada ","company":"","admin":"yes"}`)
	if status != 200 {
		t.Fatalf("register: %d %s", status, raw)
	}
	u, err := ve.store.UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Fields) != 1 || u.Fields["first_name"] != "Ada" {
		t.Errorf("fields kept: %v", u.Fields)
	}
	m, _ := gatehouse.New(engineConfig(memstore.New(), testutil.NewClock()))
	if _, err := views.New(m, views.Config{BaseURL: "https://x.example", RegisterFields: []string{"Password"},
		Mail: views.MailConfig{Mailer: views.MailerFunc(func(context.Context, *views.Message) error { return nil })}}); err == nil {
		t.Error("a bad field name was accepted")
	}
}
