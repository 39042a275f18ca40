package gatehouse_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// The two refusals a new setup meets first say what fixes them, on the
// page and in the log: Secure cookies on a page served over plain HTTP,
// and a front end on another origin. Other refusals stay terse.
func TestCSRFHints(t *testing.T) {
	for _, tc := range []struct {
		name     string
		insecure bool
		origin   string
		want     string
	}{
		{"plain HTTP with Secure cookies", false, "http://127.0.0.1:8080", "Cookie.Insecure"},
		{"another origin", true, "http://localhost:5173", "TrustedOrigins"},
		{"a forged form over HTTPS", false, "https://example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			m, err := gatehouse.New(gatehouse.Config{Users: memstore.New(), SecretKeys: [][]byte{gatehouse.NewSecretKey()},
				Cookie: gatehouse.CookieConfig{Insecure: tc.insecure}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			h := m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := m.CheckCSRF(r, ""); err != nil {
					m.WriteError(w, r, err)
				}
			}))
			host := strings.TrimPrefix(strings.TrimPrefix(tc.origin, "http://"), "https://")
			if tc.want == "TrustedOrigins" {
				host = "localhost:8080"
			}
			r := httptest.NewRequest("POST", "http://"+host+"/login", strings.NewReader("email=a"))
			r.Header.Set("Origin", tc.origin)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d", w.Code)
			}
			for what, text := range map[string]string{"page": w.Body.String(), "log": logs.String()} {
				if tc.want != "" && !strings.Contains(text, tc.want) {
					t.Errorf("the %s does not point to %s: %s", what, tc.want, text)
				}
				if tc.want == "" && (strings.Contains(text, "Insecure") || strings.Contains(text, "TrustedOrigins")) {
					t.Errorf("the %s has a hint that does not apply: %s", what, text)
				}
			}
		})
	}
}
