package gatehouse

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse/token"
)

// rememberPayload is what the remember cookie carries, signed (not
// encrypted): the user ID and a hash of the SecurityStamp, so a password
// change or "log out everywhere" kills every remember cookie.
type rememberPayload struct {
	// ID lets Logout revoke this cookie if it is replayed.
	ID     string `json:"i"`
	UserID string `json:"u"`
	Stamp  string `json:"s"`
	// Until is when this cookie stops restoring sessions (unix seconds).
	Until int64 `json:"e"`
	// Ident is the session protection identifier (a hash of the client's
	// address and User-Agent) of the login: with ProtectionStrong, another
	// client's copy restores nothing.
	Ident string `json:"p,omitempty"`
}

// remembers reads and writes the remember-me cookie.
type remembers struct {
	cfg    *Config
	signer *token.Signer
}

// set sets the remember cookie for u, valid for d (the default Duration if
// d is 0, at most MaxDuration), bound to ident ("" for none).
func (rm remembers) set(w http.ResponseWriter, u *User, d time.Duration, ident, id string) {
	if d <= 0 {
		d = rm.cfg.Remember.Duration
	}
	d = min(d, rm.cfg.Remember.MaxDuration)
	now := rm.cfg.Now()
	if id == "" {
		id = randomID(12)
	}
	p, _ := json.Marshal(rememberPayload{ID: id, UserID: u.ID, Stamp: stampHash(u.SecurityStamp), Until: now.Add(d).Unix(), Ident: ident})
	setCookie(w, rm.cookie(rm.signer.Sign(p, now), int(d.Seconds())))
}

func (rm remembers) clear(w http.ResponseWriter) { setCookie(w, rm.cookie("", -1)) }

func (rm remembers) cookie(value string, maxAge int) *http.Cookie {
	rc := rm.cfg.Remember
	return &http.Cookie{
		Name: rc.Name, Value: value, Path: rc.Path, Domain: rc.Domain, MaxAge: maxAge,
		Secure: !rm.cfg.Cookie.Insecure, HttpOnly: !rc.DisableHttpOnly, SameSite: rm.cfg.Cookie.SameSite,
	}
}

// read verifies the remember cookie. present reports whether there was
// one at all (so a bad one can be cleared).
func (rm remembers) read(r *http.Request) (p rememberPayload, issued time.Time, present, ok bool) {
	c, err := r.Cookie(rm.cfg.Remember.Name)
	if err != nil || c.Value == "" {
		return p, issued, false, false
	}
	now := rm.cfg.Now()
	raw, issued, err := rm.signer.Verify(c.Value, rm.cfg.Remember.MaxDuration, now)
	if err != nil || json.Unmarshal(raw, &p) != nil || p.UserID == "" || p.ID == "" || now.Unix() > p.Until {
		return p, issued, true, false
	}
	return p, issued, true, true
}

// duration is how long a remember cookie was made to last.
func (p rememberPayload) duration(issued time.Time) time.Duration {
	return time.Unix(p.Until, 0).Sub(issued)
}
