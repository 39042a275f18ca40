package gatehouse_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// openRedirects are payloads from open-redirect cheat sheets (PortSwigger,
// PayloadsAllTheThings) and Flask-Security's own 5.1.2 hole (/\evil.com).
var openRedirects = []string{
	"//evil.com",
	"///evil.com",
	"////evil.com",
	"/\\evil.com",
	"\\\\evil.com",
	"\\/evil.com",
	"/\\/evil.com",
	"/%5cevil.com",
	"/%5Cevil.com",
	"/%2f%2fevil.com",
	"/%2F%2Fevil.com",
	"/%252f%252fevil.com",
	"/%25252f%25252fevil.com",
	"/%09/evil.com",
	"/\t/evil.com",
	"/\n/evil.com",
	"/\r\n/evil.com",
	" //evil.com",
	"/ /evil.com",
	"\t//evil.com",
	"http://evil.com",
	"https://evil.com/",
	"HTTPS://EVIL.COM",
	"http:/evil.com",
	"http:evil.com",
	"https:\\\\evil.com",
	"//evil.com@example.com",
	"http://example.com@evil.com",
	"http://example.com:@evil.com",
	"https://evil.com#@example.com",
	"javascript:alert(1)",
	"JavaScript:alert(1)",
	"javascript://example.com/%0aalert(1)",
	"data:text/html,<script>alert(1)</script>",
	"vbscript:msgbox(1)",
	"/\u3002evil.com",
	"//evil\u3002com",
	"/\uff0fevil.com",
	"/\u2215evil.com",
	"/\u202e/moc.live",
	"/\u200b/evil.com",
	"\x00//evil.com",
	"/%00//evil.com",
	"evil.com",
	"",
	"/ok\xff",
	"/%zz",
	"ftp://evil.com",
	"//127.0.0.1",
	"//0x7f.1",
	"/" + strings.Repeat("a", 3000),
	"/#%",
	"/?x=1#%zz",
}

func TestRedirectRefusesOpenRedirects(t *testing.T) {
	t.Parallel()
	if len(openRedirects) < 40 {
		t.Fatalf("only %d payloads", len(openRedirects))
	}
	for _, p := range openRedirects {
		if gatehouse.IsSafeRedirect(p, nil) {
			t.Errorf("IsSafeRedirect(%q) = true", p)
		}
		// With an allowed host, the tricks still fail.
		if gatehouse.IsSafeRedirect(p, []string{"example.com"}) {
			t.Errorf("IsSafeRedirect(%q, example.com) = true", p)
		}
	}
}

func TestRedirectAcceptsSameSite(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"/", "/dashboard", "/a/b/c", "/search?q=go+auth&page=2", "/page#section", "/p?next=%2Fother",
		"/café", "/path/with-dash_and.dot", "/?x=//evil.com", "/q?u=http://evil.com", "/a%20b",
	} {
		if !gatehouse.IsSafeRedirect(p, nil) {
			t.Errorf("IsSafeRedirect(%q) = false", p)
		}
	}
	allowed := []string{"app.example.com", "example.com:8443"}
	for p, want := range map[string]bool{
		"https://app.example.com/x":        true,
		"http://APP.example.com/":          true,
		"https://example.com:8443/ok":      true,
		"https://example.com/":             false, // port differs
		"https://app.example.com.evil/":    false,
		"https://evil.com/app.example.com": false,
	} {
		if got := gatehouse.IsSafeRedirect(p, allowed); got != want {
			t.Errorf("IsSafeRedirect(%q, %v) = %v, want %v", p, allowed, got, want)
		}
	}
}

// Over real HTTP, every payload as ?next= after login lands on "/".
func TestLoginNextOpenRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	for _, p := range openRedirects {
		if strings.ContainsAny(p, "\x00") {
			continue
		}
		r := c.do(http.MethodPost, "/login?next="+url.QueryEscape(p), url.Values{"email": {"alice@example.com"}, "password": {alicePassword}})
		if loc := r.header.Get("Location"); loc != "/" {
			t.Errorf("next=%q: Location %q, want /", p, loc)
		}
	}
}

func FuzzIsSafeRedirect(f *testing.F) {
	for _, p := range openRedirects {
		f.Add(p)
	}
	f.Add("/dashboard?tab=1#x")
	f.Fuzz(func(t *testing.T, target string) {
		if !gatehouse.IsSafeRedirect(target, nil) {
			return
		}
		// Whatever passes must be a path on this site, to net/url and to a
		// browser alike: no scheme, no host, no backslash, no control.
		u, err := url.Parse(target)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", target, err)
		}
		if u.Scheme != "" || u.Host != "" || u.User != nil {
			t.Fatalf("accepted %q: parses to scheme %q host %q", target, u.Scheme, u.Host)
		}
		if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.ContainsAny(target, "\\\t\r\n ") {
			t.Fatalf("accepted %q", target)
		}
		if d, err := url.PathUnescape(u.EscapedPath()); err == nil && (strings.HasPrefix(d, "//") || strings.Contains(d, "\\")) {
			t.Fatalf("accepted %q: decodes to %q", target, d)
		}
	})
}
