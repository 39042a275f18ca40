package gatehousecli

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/gatehouse-auth/gatehouse/flaskimport"
)

// importDetails is the rest of "import flask-security --help"; keep
// docs/migration.md in step (a test checks).
const importDetails = `Users are matched by email address as Gatehouse normalises it, so importing
again updates what changed in the source and nothing else. Password hashes
are copied as they are: give the app's Manager a hasher made with
password.Migration and password.FlaskSecurity{Salt: SECURITY_PASSWORD_SALT}.
Rows Gatehouse cannot tell apart (addresses equal after normalisation) are
reported, and none of them is imported. A SQL destination is written in one
transaction: all or nothing. Guide: docs/migration.md.

example:
  gatehouse import flask-security --from sqlite:///srv/flask/app.db \
      --to postgres://gatehouse@db/app --dry-run`

// importFlaskSecurity is "import flask-security": package flaskimport,
// from the database IO.OpenSource opens into the Manager's stores.
func importFlaskSecurity(fs *flag.FlagSet) func(*cli, []string) error {
	from := fs.String("from", "", "`URL` of the Flask-Security database to copy from (required); it is only read:\n"+
		"sqlite:///abs/path.db, sqlite://relative.db, a file path, or postgres://...")
	to := fs.String("to", "", "`URL` of the Gatehouse database to copy into, created and migrated if need be\n"+
		"(default: --database, $GATEHOUSE_DATABASE, or gatehouse.db)")
	var mapping flaskimport.Mapping
	fs.Var(&mapping, "map", "`KEY=NAME`: the source's name for a table or column the app renamed\n"+
		"(repeatable, or KEY=NAME,KEY=NAME). KEY is Flask-Security's name:\n"+
		wrap(strings.Join(flaskimport.Keys(), " "), 72))
	dryRun := fs.Bool("dry-run", false, "report what the import would do, and write nothing")
	return func(c *cli, _ []string) error {
		switch {
		case *from == "":
			return usagef("import flask-security needs --from URL")
		case *to != "" && *to != c.io.Database:
			return usagef("--to %s: this program imports into the database its Manager works on", *to)
		case *from == c.io.Database && c.io.Database != "":
			return usagef("--from and --to name the same database")
		case c.io.OpenSource == nil:
			return errors.New("this program cannot open a source database (gatehousecli.IO.OpenSource is not set)")
		}
		db, err := c.io.OpenSource(c.ctx, *from)
		if err != nil {
			return fmt.Errorf("opening --from: %w", err)
		}
		defer db.Close()
		cfg := c.m.Config()
		s, err := flaskimport.Import(c.ctx, flaskimport.Config{
			Source: db, Map: mapping, Users: cfg.Users, Roles: cfg.Roles, DryRun: *dryRun, Now: cfg.Now,
		})
		if err != nil {
			return err
		}
		if _, err := s.WriteTo(c.io.Out); err != nil {
			return err
		}
		if n := s.UserCount(flaskimport.Skipped) + s.RoleCount(flaskimport.Skipped); n > 0 {
			fmt.Fprintf(c.io.Err, "gatehouse: %d rows were not imported (see \"skipped\" above): fix them in the source and import again\n", n)
		}
		return nil
	}
}

// wrap breaks s into lines of at most width bytes at spaces.
func wrap(s string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}
