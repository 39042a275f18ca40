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

// Moving a Werkzeug, Django or Devise application over: Migration verifies
// their hashes as the frameworks do, and each user's next login stores an
// Argon2id hash in their place.
func ExampleMigration() {
	h := password.Migration(nil) // new hashes: Argon2id{}
	// Devise: its scheme goes first, with config.pepper if the app set one.
	h.Legacy = append([]password.Scheme{password.Devise{Pepper: ""}}, h.Legacy...)
	hasher := password.Limit(h, 0) // some legacy verifies cost 10× Argon2id's

	for _, user := range []struct{ stored, password string }{
		// Werkzeug's generate_password_hash (here with 1,000 iterations).
		{"pbkdf2:sha256:1000$NJ6wwTLJlkEHd5ivFJzQlQ$061e10071be452c234c75622ad010589e11490bb1c0b626ae551677bb1859d32", "パスワードです"},
		// Django 3.2's default hasher.
		{"pbkdf2_sha256$260000$vxzSJjO6IcGEjmlZr3y4lK$di3NpP9uKhNoF6vWBaK7/8dRzMSvk0FqAY3sLUidpDc=", "tab\there"},
		// Devise (bcrypt-ruby, 1 stretch in its test environment).
		{"$2a$04$3WuXjyhFU1im89bS7dCMVuEYMjbG0frZpw0JHtkoZHsDVa5syWAAC", "short1"},
	} {
		if err := hasher.Compare(user.stored, user.password); err != nil {
			fmt.Println("login failed:", err)
			continue
		}
		if hasher.NeedsRehash(user.stored) {
			fresh, err := hasher.Hash(user.password)
			if err != nil {
				panic(err)
			}
			user.stored = fresh // save it
		}
		fmt.Println(user.stored[:10])
	}
	// Output:
	// $argon2id$
	// $argon2id$
	// $argon2id$
}
