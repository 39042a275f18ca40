// Package gatehousecli is the users and roles command line (Flask-Security's
// "flask users" and "flask roles"), with "import flask-security" to copy a
// Flask-Security database in (package flaskimport; see IO.OpenSource), to
// embed in an application's own binary or to run as cmd/gatehouse:
//
//	err := gatehousecli.Run(ctx, manager, os.Args[1:], gatehousecli.IO{
//		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
//	})
//
// It uses the standard library's flag package, one FlagSet per command:
// the commands are few and flat, and no dependency is worth it. Passwords
// are read from a terminal without echo, or from standard input with
// --password-stdin; never from the command line, where other users of the
// machine and shell history could see them.
package gatehousecli

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
)

// IO is where a command reads and writes. In is standard input; if it is a
// terminal (an *os.File), passwords are prompted for without echo.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Database is the URL of the database the Manager works on, as the
	// user gave it (cmd/gatehouse's --database, or import's --to). Import
	// refuses a --to that names another. Optional.
	Database string
	// OpenSource opens the database "import flask-security --from URL"
	// copies from; it is only read. cmd/gatehouse opens SQLite files
	// read-only and PostgreSQL URLs. An application that embeds Run sets
	// it with the drivers it has; without it, import says it cannot run.
	OpenSource func(ctx context.Context, url string) (*sql.DB, error)
}

// UsageError reports a command line that does not parse; cmd/gatehouse
// exits 2 for it.
type UsageError struct{ Msg string }

// Error implements error.
func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// ErrHelp is returned after help was printed on request; exit 0.
var ErrHelp = flag.ErrHelp

type command struct {
	name    string
	args    string // positional arguments, for usage
	summary string
	flags   func(fs *flag.FlagSet) func(c *cli, args []string) error
}

type cli struct {
	ctx   context.Context
	m     *gatehouse.Manager
	admin *admin.Admin
	io    IO
}

var groups = map[string][]command{
	"users": {
		{"create", "EMAIL", "create a user (password prompted, or --password-stdin)", usersCreate},
		{"activate", "IDENTITY", "activate a user", func(fs *flag.FlagSet) func(*cli, []string) error { return setActive(true) }},
		{"deactivate", "IDENTITY", "deactivate a user (ends their sessions)", func(fs *flag.FlagSet) func(*cli, []string) error { return setActive(false) }},
		{"change-password", "IDENTITY", "set a user's password (ends their sessions)", usersChangePassword},
		{"reset-access", "IDENTITY", "end every session, remember cookie and token of a user", usersResetAccess},
		{"reset-factors", "IDENTITY", "remove a user's second factors, passkeys and recovery codes", usersResetFactors},
		{"sessions", "IDENTITY", "list a user's server-side sessions (device, address, last seen)", usersSessions},
		{"revoke-sessions", "IDENTITY", "end one session of a user (--id) or all of them", usersRevokeSessions},
		{"delete", "IDENTITY", "delete a user", usersDelete},
		{"list", "", "list users", usersList},
	},
	"roles": {
		{"create", "NAME", "create a role", rolesCreate},
		{"add", "IDENTITY ROLE", "give a user a role", rolesAdd},
		{"remove", "IDENTITY ROLE", "take a role from a user", rolesRemove},
		{"list", "", "list roles", rolesList},
	},
	"import": {
		{"flask-security", "", "copy users and roles from a Flask-Security database (--from URL)", importFlaskSecurity},
	},
}

// IsCommand reports whether args begin with a command Run knows (a group
// and one of its commands, such as "users list"), so a caller can answer
// a mistyped one without opening a database.
func IsCommand(args []string) bool {
	if len(args) < 2 {
		return false
	}
	for _, cmd := range groups[args[0]] {
		if cmd.name == args[1] {
			return true
		}
	}
	return false
}

// Run runs one command: "users create EMAIL", "roles add IDENTITY ROLE",
// and so on; "help" or "--help" anywhere prints usage. An IDENTITY is an
// email address or a username.
func Run(ctx context.Context, m *gatehouse.Manager, args []string, stdio IO) error {
	c := &cli{ctx: ctx, m: m, io: stdio}
	if m != nil { // nil is enough for help
		c.admin = admin.New(m)
	}
	if len(args) == 0 {
		c.usage(stdio.Err)
		return usagef("missing command")
	}
	if isHelp(args[0]) {
		c.usage(stdio.Out)
		return ErrHelp
	}
	cmds, ok := groups[args[0]]
	if !ok {
		c.usage(stdio.Err)
		return usagef("unknown command %q", args[0])
	}
	if len(args) < 2 || isHelp(args[1]) {
		w := stdio.Err
		if len(args) >= 2 {
			w = stdio.Out
		}
		c.groupUsage(w, args[0])
		if len(args) >= 2 {
			return ErrHelp
		}
		return usagef("missing %s command", args[0])
	}
	for _, cmd := range cmds {
		if cmd.name != args[1] {
			continue
		}
		fs := flag.NewFlagSet(args[0]+" "+cmd.name, flag.ContinueOnError)
		fs.SetOutput(stdio.Out)
		run := cmd.flags(fs)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: gatehouse %s %s [flags] %s\n\n%s.\n", args[0], cmd.name, cmd.args, capitalize(cmd.summary))
			if d := details(args[0] + " " + cmd.name); d != "" {
				fmt.Fprintf(fs.Output(), "\n%s\n", d)
			}
			if hasFlags(fs) {
				fmt.Fprintln(fs.Output(), "\nflags:")
				fs.PrintDefaults()
			}
		}
		if err := fs.Parse(interleave(fs, args[2:])); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ErrHelp
			}
			return usagef("%v", err)
		}
		want := len(strings.Fields(cmd.args))
		if fs.NArg() != want {
			fs.SetOutput(stdio.Err)
			fs.Usage()
			return usagef("%s %s takes %d argument(s), got %d", args[0], cmd.name, want, fs.NArg())
		}
		return run(c, fs.Args())
	}
	c.groupUsage(stdio.Err, args[0])
	return usagef("unknown command %q", args[0]+" "+args[1])
}

// interleave moves flags after positional arguments to the front, so
// "users create a@b.c --password-stdin" works as people type it.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBool(f) && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// details returns more help for a command, printed after its summary.
func details(cmd string) string {
	switch cmd {
	case "import flask-security":
		return importDetails
	}
	return ""
}

func isHelp(s string) bool { return s == "help" || s == "-h" || s == "--help" || s == "-help" }

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gatehouse [--database URL] COMMAND [flags] [args]")
	fmt.Fprintln(w, "\n  --database URL  the database: sqlite:///abs/path.db, path.db or postgres://user@host/db;")
	fmt.Fprintln(w, "                  default $GATEHOUSE_DATABASE, else gatehouse.db. A SQLite file must")
	fmt.Fprintln(w, "                  exist, except for the commands that create: users create, roles")
	fmt.Fprintln(w, "                  create, import")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		for _, cmd := range groups[g] {
			fmt.Fprintf(w, "  %-32s %s\n", g+" "+cmd.name+" "+cmd.args, cmd.summary)
		}
	}
	fmt.Fprintln(w, "\nIDENTITY is an email address or a username. \"gatehouse COMMAND --help\" tells more.")
}

func (c *cli) groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "usage: gatehouse %s COMMAND [flags] [args]\n\ncommands:\n", group)
	for _, cmd := range groups[group] {
		fmt.Fprintf(w, "  %-32s %s\n", cmd.name+" "+cmd.args, cmd.summary)
	}
}

// user finds a user by email or username, with a clear error.
func (c *cli) user(identity string) (*gatehouse.User, error) {
	u, err := c.m.FindUser(c.ctx, identity)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, fmt.Errorf("no user %q", identity)
	}
	return u, err
}

func (c *cli) printf(format string, args ...any) { fmt.Fprintf(c.io.Out, format, args...) }
