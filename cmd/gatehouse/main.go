// Command gatehouse manages users and roles in a gatehouse database, like
// Flask-Security's "flask users" and "flask roles":
//
//	gatehouse users create ada@example.com          # password prompted without echo
//	echo "$PW" | gatehouse users create ada@example.com --password-stdin
//	gatehouse roles create admin --description "Administrators"
//	gatehouse roles add ada@example.com admin
//	gatehouse --database postgres://app@db/app users list
//	gatehouse import flask-security --from sqlite:///srv/flask/app.db --dry-run
//
// --database (or $GATEHOUSE_DATABASE) is "sqlite:///abs/path.db",
// "sqlite://relative.db", a file path, or a postgres:// URL; the default is
// gatehouse.db in the current directory. Exit status: 0 on success, 1 when
// the command fails, 2 for a command line that does not parse.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/gatehousecli"
	"github.com/gatehouse-auth/gatehouse/internal/dburl"
)

func main() {
	os.Exit(run(os.Args[1:], gatehousecli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

func run(args []string, stdio gatehousecli.IO) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	database := os.Getenv("GATEHOUSE_DATABASE")
	if database == "" {
		database = "gatehouse.db"
	}
	// Global flags come before the command.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if name != "database" {
			fmt.Fprintf(stdio.Err, "gatehouse: unknown flag %s\n", args[0])
			return 2
		}
		if !hasValue {
			if len(args) < 2 {
				fmt.Fprintln(stdio.Err, "gatehouse: --database needs a URL")
				return 2
			}
			value, args = args[1], args[1:]
		}
		database, args = value, args[1:]
	}
	if to, ok := importTo(args); ok {
		database = to // import's --to names the database to work on
	}
	stdio.Database = database
	if stdio.OpenSource == nil {
		stdio.OpenSource = openSource
	}
	if len(args) == 0 || isHelp(args[0]) || len(args) > 1 && isHelp(args[1]) || hasHelp(args) || !gatehousecli.IsCommand(args) {
		// Help, and the usage error of a command that is not one, need no
		// database.
		err := gatehousecli.Run(ctx, nil, args, stdio)
		return exitCode(err, stdio.Err)
	}
	if path, ok := dburl.SQLitePath(database); ok && !creates(args) {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stdio.Err, "gatehouse: no database at %s: is --database (or $GATEHOUSE_DATABASE) right? Only users create, roles create and import make a new one\n", path)
			return 1
		}
	}
	db, err := dburl.Open(ctx, database)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gatehouse: %v\n", err)
		return 1
	}
	defer db.Close()
	key := make([]byte, 32)
	rand.Read(key) // signs nothing that outlives the command
	m, err := gatehouse.New(gatehouse.Config{
		Users: db.Store, Tokens: db.Store, Sessions: db.Store, Roles: db.Store,
		SecretKeys: [][]byte{key},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "gatehouse: %v\n", err)
		return 1
	}
	return exitCode(gatehousecli.Run(ctx, m, args, stdio), stdio.Err)
}

func isHelp(s string) bool { return s == "help" || s == "-h" || s == "--help" || s == "-help" }

func hasHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}

// exitCode maps an error to the exit status. Help asked for exits 0 (wtf's
// CLI exits 1 for it; people and scripts expect 0 for --help).
func exitCode(err error, stderr io.Writer) int {
	var usage *gatehousecli.UsageError
	switch {
	case err == nil, errors.Is(err, gatehousecli.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "gatehouse: %v\n", strings.TrimPrefix(err.Error(), "gatehouse: "))
		return 1
	}
}

// creates reports whether the command may make a new database: it
// stores something that is not there yet.
func creates(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if args[0] == "import" {
		return true
	}
	return len(args) > 1 && args[1] == "create" && (args[0] == "users" || args[0] == "roles")
}
