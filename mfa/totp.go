package mfa

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: six-digit SHA-1 codes every 30 seconds, what every
// authenticator app takes (and Flask-Security's defaults).
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
)

// NewTOTP makes a new authenticator secret for account at issuer (the
// application's name), and returns it with its otpauth:// URI, which
// authenticator apps read from a QR code.
func NewTOTP(issuer, account string) (secret, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: totpDigits, SecretSize: 20})
	if err != nil {
		return "", "", fmt.Errorf("mfa: new TOTP secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// QRCode renders an otpauth:// URI as a PNG data: URL, for an <img> on
// the enrolment page: no network, no script.
func QRCode(uri string) (string, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("mfa: QR code: %w", err)
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", fmt.Errorf("mfa: QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fmt.Errorf("mfa: QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// CheckTOTP checks code against secret at now, allowing skew periods of
// clock drift either way (1: ±30 s), and returns the time step it matched.
// Accept a code only if its step is after the last one accepted for the
// factor (Store.UseFactor does that atomically): a code cannot be replayed
// within its window.
func CheckTOTP(secret, code string, now time.Time, skew int) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	for d := -skew; d <= skew; d++ {
		at := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// TOTPCode is the code for secret at t: for tests, and for mailing a code.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// NextCode is the code to mail for secret at now when the factor's Counter
// is counter, and its time step: the current step's, or, if that step was
// spent already (the user just logged in with it), the first step after
// it, so the mailed code is one that works. Check it with CheckTOTPStep.
func NextCode(secret string, now time.Time, counter int64) (code string, step int64, err error) {
	step = now.Unix() / totpPeriod
	if step <= counter {
		step = counter + 1
	}
	code, err = TOTPCode(secret, time.Unix(step*totpPeriod, 0))
	return code, step, err
}

// CheckTOTPStep reports whether code is secret's code for time step step
// exactly: a mailed code (NextCode), which is good for a while after the
// app's window has moved on, without widening that window.
func CheckTOTPStep(secret, code string, step int64) bool {
	want, err := TOTPCode(secret, time.Unix(step*totpPeriod, 0))
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	return err == nil && len(code) == len(want) && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}
