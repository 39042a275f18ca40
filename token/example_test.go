package token_test

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/gatehouse-auth/gatehouse/token"
)

func ExampleSigner() {
	key := bytes.Repeat([]byte("k"), 32) // use 32 random bytes from crypto/rand
	s, err := token.NewSigner("confirm", key)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tok := s.Sign([]byte("user-42"), now)

	payload, _, err := s.Verify(tok, 24*time.Hour, now.Add(time.Hour))
	fmt.Printf("%s %v\n", payload, err)

	_, _, err = s.Verify(tok, 24*time.Hour, now.Add(48*time.Hour))
	fmt.Println(err)
	// Output:
	// user-42 <nil>
	// token: expired
}

func ExampleNewOneTime() {
	ot := token.NewOneTime()
	// Mail ot.Token in a link; store only ot.Selector and ot.VerifierHash.
	sel, ver, err := token.ParseOneTime(ot.Token) // when the link comes back
	fmt.Println(err, sel == ot.Selector, token.CheckVerifier(ver, ot.VerifierHash))
	// Output: <nil> true true
}

// The site's secret keys come from the environment, the newest first.
func ExampleKeysFromEnv() {
	os.Setenv("EXAMPLE_SECRET_KEYS", "kDkyGQ5+6uT63o3GczXW1s2W3wZJQ+JCT0HVf7bQaxc=, 0Hd8s8KqRhIFy0jUIpp2mh7nB7rqvYbD2xY1VbAQHqE")
	keys, err := token.KeysFromEnv("EXAMPLE_SECRET_KEYS")
	fmt.Println(len(keys), err)
	os.Setenv("EXAMPLE_SECRET_KEYS", "hunter2")
	_, err = token.KeysFromEnv("EXAMPLE_SECRET_KEYS")
	fmt.Println(err)
	// Output:
	// 2 <nil>
	// token: EXAMPLE_SECRET_KEYS: key 1 is 5 bytes, want at least 32 random bytes; make one with: head -c 32 /dev/urandom | base64 (or openssl rand -base64 32), and keep it secret
}
