package views

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// FuzzDecodeBody feeds arbitrary bodies, as JSON and as forms, to the view
// body decoder: it must never panic, and every refusal must be a 4xx error.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.c","password":"x","remember":true}`, `"str"`, `[]`, `{"a":{"b":1}}`, "email=a%40b.c&password=x", "\xff", `{"a":null}`} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		r := httptest.NewRequest(http.MethodPost, "/login", bytes.NewReader(body))
		if asJSON {
			r.Header.Set("Content-Type", "application/json")
		} else {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		got, err := decodeBody(httptest.NewRecorder(), r)
		if err != nil {
			if s := gatehouse.StatusCode(err); s != http.StatusBadRequest && s != http.StatusRequestEntityTooLarge {
				t.Fatalf("decodeBody error %v maps to %d", err, s)
			}
			var fe FieldErrors
			if !errors.Is(err, gatehouse.ErrBadRequest) && !errors.Is(err, gatehouse.ErrTooLarge) && !errors.As(err, &fe) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if got == nil {
			t.Fatal("nil form without an error")
		}
	})
}
