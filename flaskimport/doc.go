// Package flaskimport copies the users and roles of a Flask-Security
// application's database into Gatehouse stores, so the application can move
// to Go without its users noticing more than one new login.
//
// The source is a *sql.DB, SQLite or PostgreSQL, holding Flask-Security's
// SQLAlchemy models: the tables user, role and roles_users (renamed ones
// are described by a [Mapping]). The destination is any
// [gatehouse.UserStore] and [gatehouse.RoleStore]; with the SQL stores the
// whole import is one transaction.
//
//	s, err := flaskimport.Import(ctx, flaskimport.Config{
//		Source: flaskDB, // sql.Open("sqlite", ...) or sql.Open("pgx", ...)
//		Users:  store,   // sqlitestore.New(db), pgstore.New(db), ...
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	s.WriteTo(os.Stdout)
//
// Password hashes are copied as they are. Flask-Security's hashes verify in
// Gatehouse with a hasher built by password.Migration with
// password.FlaskSecurity set to the app's SECURITY_PASSWORD_SALT, and each
// is replaced by a current hash at its user's next login. Flask sessions
// do not carry over; remember cookies and auth tokens can, for a window,
// with [SwitchOver] and the Flask app's SECRET_KEY. The command line is
// "gatehouse import flask-security"; the guide is docs/migration.md.
//
// # What is copied
//
// For each user: email (normalised), username, password hash, active,
// confirmed_at, fs_uniquifier (as SecurityStamp), login tracking
// (last_login_at, current_login_at, last_login_ip, current_login_ip,
// login_count), create_datetime, roles, and the integer ID when no Gatehouse
// user has it. For each role: name, description and permissions (the role
// catalog). Two-factor, WebAuthn and unified sign-in settings are not:
// the summary counts users who had two-factor authentication.
//
// # Running it again
//
// Import is idempotent: users are matched by normalised email, roles by
// name, and only what differs is written, so a second import of an
// unchanged source reports no changes. Login tracking of users that are
// already in Gatehouse is the exception: [gatehouse.UserChange] cannot set
// it, so it stays as it was (the summary reports where it differs).
package flaskimport
