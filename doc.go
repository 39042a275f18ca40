// Package gatehouse adds login, sessions and access control to any net/http
// application: what Flask-Login and Flask-Security give Flask, safe by
// default.
//
// # Quick start
//
//	store := memstore.New() // or sqlitestore / pgstore over your *sql.DB
//	auth, err := gatehouse.New(gatehouse.Config{
//		Users:      store,
//		SecretKeys: [][]byte{key}, // 32 bytes from crypto/rand, kept secret
//		LoginURL:   "/login",
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	mux.Handle("GET /account", auth.RequireLogin(account))
//	mux.Handle("POST /account/delete", auth.RequireFresh(deleteAccount))
//	mux.Handle("/admin/", auth.RequireRoles("admin")(admin))
//	http.ListenAndServe(":8080", auth.Authenticate(mux)) // outermost
//
// A login handler checks credentials with [Manager.VerifyPassword] and calls
// [Manager.Login]; [Manager.Logout] ends the session. Package views is the
// Flask-Security product on this engine: login, register, confirm, reset,
// change and passwordless pages and JSON API, and their mails; package
// admin is an operator's work on users and roles.
//
// # Middleware order
//
// [Manager.Authenticate] goes outermost: it finds the request's user (from
// the session cookie, else the remember cookie, else Config.RequestLoader)
// and never rejects for want of a login. Guards ([Manager.RequireLogin],
// [Manager.RequireFresh], [Manager.RequireRoles], and [Manager.Require]
// with a [Policy] for the rest) go around the handlers they protect. A guard mounted without Authenticate loads the user itself: a
// wrong order fails closed, never open. [Manager.Check] answers the same
// question without writing a response, for WebSockets or other frameworks,
// and [Manager.Deny] answers a refusal as the guards do.
//
// # Sessions
//
// By default a session lives in a cookie sealed with XChaCha20-Poly1305
// under keys derived from Config.SecretKeys (the first seals, all open, so
// keys can rotate). It carries the user ID, a hash of the user's
// SecurityStamp, the login time and freshness, flashes and a CSRF secret;
// it is HttpOnly, Secure, SameSite=Lax, __Host- prefixed and at most 4096
// bytes. Idle (24 h) and absolute (14 days) timeouts are enforced by the
// server, not by the cookie's expiry. Login and Logout rotate it. A session
// cookie replayed after Logout is refused (OWASP ASVS 7.4.1): Logout
// records the session's hashed ID with the user until it would have
// expired, and that list arrives with the one user read each request does
// anyway. Set Config.Sessions to keep sessions on the server instead.
//
// Rotating a user's SecurityStamp ([Manager.SetPassword],
// [Manager.EndSessions]) ends every session, remember cookie, auth
// token and pending reset link of that user, in both modes.
//
// # Security model
//
//   - Cookies are ambient credentials: Authenticate refuses cross-origin
//     unsafe requests with [net/http.CrossOriginProtection] (Fetch Metadata).
//   - Session protection (Flask-Login's basic and strong) binds a session to
//     a keyed hash of the client's IP address and User-Agent.
//   - "next" redirects go only to paths on this site or configured hosts:
//     [IsSafeRedirect] refuses protocol-relative, backslash, encoded,
//     control-character and scheme tricks.
//   - Unknown users and wrong passwords get the same error and the same
//     hashing time. Client IPs come from RemoteAddr unless trusted proxies
//     are configured.
//   - Logs ([log/slog]) never carry passwords, tokens, session IDs or email
//     addresses.
//
// # Failures and shutdown
//
// Concurrent changes to one user never undo each other: stores apply each
// [UserChange] atomically and write only what it sets. Mail waits in a
// durable [Outbox] until the views' workers (views.Views.Run) have sent
// it, so neither an SMTP outage nor a crash loses it, and a request never
// waits for SMTP. Every store call has a deadline (Config.StoreTimeout): a
// database that is down, frozen, full or read-only makes a 503 with
// Retry-After ([ErrUnavailable]), never a hang. Password hashing runs
// under a bounded gate (Config.MaxHashes, HashQueue, HashWait): a flood of
// logins is answered 503 quickly rather than queued for minutes, and a
// request whose client has gone is never hashed for. To stop, shut the
// HTTP server down first (every accepted request is answered), then
// cancel Run's context and wait for it (the workers finish the mail in
// hand), then close the database.
package gatehouse
