package token_test

import (
	"bytes"
	"fmt"
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
