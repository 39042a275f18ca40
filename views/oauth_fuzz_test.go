package views

import (
	"errors"
	"testing"
)

// FuzzOAuthIdentity feeds arbitrary provider answers to the parsers of
// GitHub's address list and OpenID Connect's userinfo, and arbitrary
// provider error texts to providerText: they must never panic; an address
// comes only with no error, and the lack of one is ErrOAuthUnverified or
// a parse error; shown text is printable ASCII within its cap.
func FuzzOAuthIdentity(f *testing.F) {
	for _, s := range []string{
		`[{"email":"a@b.c","primary":true,"verified":true}]`, `[{"email":"a@b.c","primary":true,"verified":false}]`,
		`{"email":"a@b.c","email_verified":true}`, `{"email":"a@b.c","email_verified":"true"}`, `{"email":"a@b.c"}`,
		`[]`, `{}`, `null`, `"x"`, "\xff", `[{"email":1}]`, `{"email_verified":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, parse := range map[string]func([]byte) (string, error){"github": parseGitHubEmails, "userinfo": parseUserinfo} {
			email, err := parse(body)
			if (email == "") == (err == nil) {
				t.Fatalf("%s: %q, %v", name, email, err)
			}
		}
		if _, err := parseUserinfo(body); err != nil && !errors.Is(err, ErrOAuthUnverified) && err.Error() != "views: the userinfo answer is not a JSON object" {
			t.Fatalf("userinfo: unexpected error %v", err)
		}
		s := providerText(string(body), 64)
		if len(s) > 64 {
			t.Fatalf("providerText: %d bytes", len(s))
		}
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				t.Fatalf("providerText kept %q", s[i])
			}
		}
	})
}
