package mail_test

import (
	"context"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/views"
)

func TestMailbox(t *testing.T) {
	var printed []string
	b := &mail.Mailbox{Max: 2, Print: func(m *views.Message) { printed = append(printed, m.Subject) }}
	for _, s := range []string{"one", "two", "three"} {
		b.Send(context.Background(), &views.Message{To: "x@example.com", Subject: s})
	}
	got := b.Messages()
	if len(got) != 2 || got[0].Subject != "three" || got[1].Subject != "two" || len(printed) != 3 {
		t.Errorf("Messages = %v, printed %v", got, printed)
	}
}
