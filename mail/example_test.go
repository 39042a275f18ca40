package mail_test

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/views"
)

// Production: SMTP with STARTTLS and authentication.
func ExampleSMTP() {
	var m views.Mailer = &mail.SMTP{
		Host: "smtp.example.com", Port: 587, // STARTTLS by default
		Username: "apikey", Password: "load from your secret store",
		From: "Example <no-reply@example.com>",
	}
	_ = m
}

// Development: keep mails in memory and show them on a page.
func ExampleMailbox() {
	box := &mail.Mailbox{}
	box.Send(context.Background(), &views.Message{To: "ada@example.com", Subject: "Password reset instructions"})
	for _, m := range box.Messages() {
		fmt.Println(m.To, m.Subject)
	}
	// Output: ada@example.com Password reset instructions
}
