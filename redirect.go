package gatehouse

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// IsSafeRedirect reports whether target, a "next" URL from a request, stays
// on this site: a path beginning with a single "/", or an http(s) URL whose
// host is in allowedHosts. It refuses every known trick: protocol-relative
// "//host", backslashes ("/\host", which browsers read as "//host"), control
// characters and spaces anywhere, other schemes ("javascript:", "data:"),
// percent-encoded slashes, backslashes or controls in the path (at any
// depth of encoding), userinfo ("http://ok@evil"), and invalid UTF-8.
func IsSafeRedirect(target string, allowedHosts []string) bool {
	return isSafeRedirect(target, allowedHosts)
}

func isSafeRedirect(target string, allowedHosts []string) bool {
	if target == "" || len(target) > 2048 || !utf8.ValidString(target) {
		return false
	}
	for _, c := range target {
		// Controls, spaces, backslashes, and the Unicode tricks browsers or
		// proxies may fold into "/" or "." (fullwidth solidus, etc.) or that
		// hide text (bidi overrides, zero-width characters).
		if c <= ' ' || c == 0x7f || c == '\\' || (c >= 0x80 && c <= 0x9f) ||
			c == '\u00a0' || c == '\u2028' || c == '\u2029' || c == '\ufeff' ||
			(c >= '\u200b' && c <= '\u200f') || (c >= '\u202a' && c <= '\u202e') ||
			(c >= '\u2066' && c <= '\u2069') || c == '\uff0f' || c == '\uff3c' ||
			c == '\u2215' || c == '\u2044' || c == '\u29f8' || c == '\u3002' || c == '\uff0e' {
			return false
		}
	}
	pathPart := target
	if i := strings.IndexAny(pathPart, "?#"); i >= 0 {
		pathPart = pathPart[:i]
	}
	// Decode the path repeatedly: no level of encoding may hide a slash
	// pair, backslash or control character.
	p := pathPart
	for range 4 {
		lower := strings.ToLower(p)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") ||
			strings.Contains(lower, "%09") || strings.Contains(lower, "%0a") || strings.Contains(lower, "%0d") || strings.Contains(lower, "%00") {
			return false
		}
		d, err := url.PathUnescape(p)
		if err != nil {
			return false
		}
		if d == p {
			break
		}
		p = d
	}
	if strings.HasPrefix(target, "/") {
		// A path on this site. "//" and "/\" are protocol-relative to
		// browsers; backslashes were refused above. It must also be a
		// well-formed URL (no bad escapes, even in the fragment).
		if strings.HasPrefix(target, "//") {
			return false
		}
		_, err := url.Parse(target)
		return err == nil
	}
	// Anything else must be an absolute http(s) URL to an allowed host.
	if len(allowedHosts) == 0 {
		return false
	}
	u, err := url.Parse(target)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return false
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	if !strings.HasPrefix(target[len(u.Scheme):], "://") {
		return false
	}
	// The authority must be exactly what url.Parse took as the host.
	rest := target[len(u.Scheme)+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if rest != u.Host {
		return false
	}
	host := strings.ToLower(u.Host)
	for _, h := range allowedHosts {
		if host == strings.ToLower(h) {
			return true
		}
	}
	return false
}
