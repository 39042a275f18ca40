package password_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/password"
)

// The zero value of Argon2id is the recommended hasher.
func ExampleArgon2id() {
	var h password.Argon2id
	hash, err := h.Hash("correct horse battery staple")
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Compare(hash, "correct horse battery staple"))
	fmt.Println(errors.Is(h.Compare(hash, "Tr0ub4dor&3"), password.ErrMismatch))
	// Output:
	// <nil>
	// true
}

// Moving a Flask-Security application over: verify its hashes, and store an
// Argon2id hash the first time each user logs in.
func ExampleUpgrade() {
	h := password.Upgrade{
		Current: password.Argon2id{},
		Legacy: []password.Scheme{
			password.Bcrypt{}, password.PBKDF2{Digest: "sha512"}, password.SHACrypt{},
		},
		FlaskSecurity: &password.FlaskSecurity{Salt: "WXaSCrUZoLgubbbP"}, // SECURITY_PASSWORD_SALT
	}
	stored := "$2b$04$X/ckABTkGvDUybmRsrJek.NCAtQzZZ6FHyzDySaeFHhG9GS5EbDs." // made by Flask-Security 5.1
	if err := h.Compare(stored, "correct horse battery staple"); err != nil {
		fmt.Println("login failed")
		return
	}
	if h.NeedsRehash(stored) {
		stored, _ = h.Hash("correct horse battery staple")
	}
	fmt.Println(stored[:10])
	// Output: $argon2id$
}

func ExamplePolicy() {
	var p password.Policy // NIST 800-63B defaults
	ctx := context.Background()
	fmt.Println(p.Validate(ctx, "short"))
	fmt.Println(p.Validate(ctx, "password1"))
	fmt.Println(p.Validate(ctx, "violet staple orbit 42"))
	// Output:
	// password: password too short: at least 8 characters
	// password: password is too common
	// <nil>
}

// ValidateFor refuses a password built from the account's own details: the
// email address, its local part, the user name, and Policy.Context's words
// (the application's name), compared after NFKC and case folding.
func ExamplePolicy_ValidateFor() {
	p := password.Policy{Context: []string{"Gatehouse"}}
	ctx := context.Background()
	email := "alice@example.com"
	fmt.Println(p.ValidateFor(ctx, "Alice2024!", email))
	fmt.Println(p.ValidateFor(ctx, "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", email))
	fmt.Println(p.ValidateFor(ctx, "gatehouse123", email))
	fmt.Println(p.ValidateFor(ctx, "ｐａｓｓｗｏｒｄ１２３", email))
	fmt.Println(p.ValidateFor(ctx, "alice in wonderland tea party", email))
	// Output:
	// password: password is based on the account's details
	// password: password is based on the account's details
	// password: password is based on the account's details
	// password: password is too common
	// <nil>
}
