package gatehouse_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// BenchmarkLoginFailureTiming checks that a failed login costs the same
// whether the address is unknown, the password wrong, or the account
// inactive, with the default Argon2id hasher: the three are interleaved in
// one loop so machine noise hits them alike, and the ratios to the
// wrong-password case are reported (want ~1.0).
func BenchmarkLoginFailureTiming(b *testing.B) {
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{bytes.Repeat([]byte{1}, 32)}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m.CreateUser(ctx, &gatehouse.User{Email: "known@example.com", Active: true}, "correct horse battery")
	m.CreateUser(ctx, &gatehouse.User{Email: "inactive@example.com", Active: false}, "correct horse battery")
	m.VerifyPassword(ctx, "nobody@example.com", "x") // make the dummy hash outside the loop
	cases := []struct{ email, pw string }{
		{"known@example.com", "wrong password"},
		{"nobody@example.com", "wrong password"},
		{"inactive@example.com", "correct horse battery"},
	}
	var spent [3]time.Duration
	for b.Loop() {
		for i, c := range cases {
			t0 := time.Now()
			if _, err := m.VerifyPassword(ctx, c.email, c.pw); err == nil {
				b.Fatal("login succeeded")
			}
			spent[i] += time.Since(t0)
		}
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "unknown/wrong")
	b.ReportMetric(float64(spent[2])/float64(spent[0]), "inactive/wrong")
}
