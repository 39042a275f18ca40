package mfa_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// An authenticator app's secret, its codes, and the store's counter that
// makes each code work once.
func Example() {
	ctx := context.Background()
	store := memstore.New() // sqlitestore and pgstore are mfa.Stores too
	secret, uri, err := mfa.NewTOTP("Example", "ada@example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println(uri[:len("otpauth://totp/")])

	// The app shows a code; the first one sets the factor up.
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	code, _ := mfa.TOTPCode(secret, now)
	step, ok := mfa.CheckTOTP(secret, code, now, 1)
	fmt.Println("first code:", ok)
	f := &mfa.Factor{UserID: "1", Kind: mfa.KindAuthenticator, Data: []byte(secret), Counter: step, CreatedAt: now}
	if err := store.AddFactor(ctx, f); err != nil {
		panic(err)
	}

	// Thirty seconds later, a login: the next code works, once.
	later := now.Add(30 * time.Second)
	code, _ = mfa.TOTPCode(secret, later)
	for range 2 {
		step, ok := mfa.CheckTOTP(secret, code, later, 1)
		err := store.UseFactor(ctx, "1", f.ID, step, later)
		fmt.Println("login code valid:", ok, "accepted:", err == nil, "replayed:", errors.Is(err, gatehouse.ErrConflict))
	}
	// Output:
	// otpauth://totp/
	// first code: true
	// login code valid: true accepted: true replayed: false
	// login code valid: true accepted: false replayed: true
}

// Recovery codes: shown once, stored hashed, matched whatever the case
// and dashes the user types.
func ExampleNewRecoveryCodes() {
	codes := mfa.NewRecoveryCodes(10)
	hash := mfa.HashRecoveryCode(codes[0])
	fmt.Println(len(codes), len(codes[0]))
	fmt.Println(mfa.MatchRecoveryCode(hash, codes[0]))
	fmt.Println(mfa.MatchRecoveryCode(hash, codes[1]))
	// Output:
	// 10 14
	// true
	// false
}
