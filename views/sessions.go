package views

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// sessionInfo is one of a user's sessions as the sessions view shows it.
type sessionInfo struct {
	ID        string `json:"id"`
	Device    string `json:"device"`
	UserAgent string `json:"user_agent"`
	IP        string `json:"ip"`
	CreatedAt string `json:"created_at"`
	LastSeen  string `json:"last_seen"`
	ExpiresAt string `json:"expires_at"`
	Current   bool   `json:"current"`
}

// sessionsView serves SessionsPath to logged-in users (a Gatehouse
// addition): GET lists their sessions, newest first ({sessions: [{id,
// device, user_agent, ip, created_at, last_seen, expires_at, current}]});
// POST {"end": id} ends one (this browser's is a logout), {"end_others":
// true} ends every other session, remember cookie and auth token of the
// user, and keeps this one.
func (v *Views) sessionsView() http.Handler {
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		list, err := v.sessionList(r)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"sessions": list})
			return
		}
		v.render(w, r, http.StatusOK, "sessions", i18n.UISessions, page{Action: v.cfg.Prefix + v.cfg.SessionsPath, Extra: map[string]any{"sessions": list}})
	}, v.sessionsPost))
}

func (v *Views) sessionList(r *http.Request) ([]sessionInfo, error) {
	u, _ := gatehouse.CurrentUser(r.Context())
	all, err := v.admin.UserSessions(r.Context(), u)
	if err != nil {
		return nil, err
	}
	current := sessionID(r)
	list := make([]sessionInfo, 0, len(all))
	for _, s := range all {
		list = append(list, sessionInfo{
			ID: s.ID, Device: deviceName(s.UserAgent), UserAgent: s.UserAgent, IP: s.IP,
			CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339), LastSeen: s.UpdatedAt.UTC().Format(time.RFC3339),
			ExpiresAt: s.ExpiresAt.UTC().Format(time.RFC3339), Current: s.ID == current,
		})
	}
	return list, nil
}

func (v *Views) sessionsPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	back := v.cfg.Prefix + v.cfg.SessionsPath
	switch id := f["end"]; {
	case f["end_others"] == "true":
		if err := v.auth.EndSessions(ctx, u, gatehouse.UserChange{}); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		// The new stamp ended this session too: start it again, as it was
		// (no fresher: ending sessions proves nothing), for a session's
		// request, not a token's or HTTP Basic's, which have none.
		if p, _ := gatehouse.FromContext(ctx); p.Method == gatehouse.MethodSession || p.Method == gatehouse.MethodRemember {
			if err := v.auth.Login(w, r, u, gatehouse.LoginOptions{Reissue: true}); err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
		}
		v.log.InfoContext(ctx, "views: other sessions ended", "event", "sessions_ended", "user_id", u.ID)
		v.done(w, r, nil, back, i18n.OtherSessionsEnded)
	case id != "" && id == sessionID(r):
		if err := v.auth.Logout(w, r); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.done(w, r, nil, v.cfg.PostLogoutURL, i18n.SessionEnded)
	case id != "":
		switch err := v.admin.RevokeSession(ctx, u, id); {
		case errors.Is(err, gatehouse.ErrNotFound):
			fe := &formErrors{}
			fe.add("end", v.text(r, i18n.SessionNotFound))
			list, _ := v.sessionList(r)
			v.fail(w, r, fe, "sessions", i18n.UISessions, page{Action: back, Extra: map[string]any{"sessions": list}})
			return
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		}
		v.done(w, r, nil, back, i18n.SessionEnded)
	default:
		v.auth.WriteError(w, r, gatehouse.ErrBadRequest)
	}
}

// deviceName is a short name for the client a User-Agent describes
// ("Firefox on Linux"), for people to recognise their sessions by; ""
// when it says nothing known.
func deviceName(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client", "Go"}, {"python-requests", "Python"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	os := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			os = o.name
			break
		}
	}
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	}
	return os
}

// sessionID is the store's ID of r's session, "" if it has none there.
func sessionID(r *http.Request) string {
	p, _ := gatehouse.FromContext(r.Context())
	return p.SessionID
}
