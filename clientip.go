package gatehouse

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the client's address per Config.ClientIP and
// Config.TrustedProxies; the zero Addr if it cannot tell.
func (c *Config) clientIP(r *http.Request) netip.Addr {
	if c.ClientIP != nil {
		return c.ClientIP(r)
	}
	remote := remoteAddr(r)
	if len(c.TrustedProxies) == 0 || !c.trusted(remote) {
		return remote
	}
	// Walk X-Forwarded-For from the right: the first address that is not one
	// of our proxies is the client; anything left of it is client-supplied.
	xff := strings.Join(r.Header.Values("X-Forwarded-For"), ",")
	for xff != "" {
		i := strings.LastIndexByte(xff, ',')
		part := strings.TrimSpace(xff[i+1:])
		xff = xff[:max(i, 0)]
		a, err := netip.ParseAddr(part)
		if err != nil {
			return remote
		}
		a = a.Unmap()
		if !c.trusted(a) {
			return a
		}
		if i < 0 {
			return a
		}
	}
	return remote
}

func (c *Config) trusted(a netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// ipString is the client's address as logs and records keep it, or "".
func (c *Config) ipString(r *http.Request) string {
	if a := c.clientIP(r); a.IsValid() {
		return a.String()
	}
	return ""
}
