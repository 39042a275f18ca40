package gatehousecli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func usersCreate(fs *flag.FlagSet) func(*cli, []string) error {
	username := fs.String("username", "", "a unique username, besides the email address")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input (one line)")
	noPassword := fs.Bool("no-password", false, "create the user without a password (passwordless login only)")
	inactive := fs.Bool("inactive", false, "create the user deactivated")
	confirmed := fs.Bool("confirmed", false, "mark the email address as confirmed")
	var roles stringList
	fs.Var(&roles, "role", "give the user a role (repeatable)")
	return func(c *cli, args []string) error {
		pw := ""
		if !*noPassword {
			var err error
			if pw, err = c.readPassword(*stdin); err != nil {
				return err
			}
		}
		u := &gatehouse.User{Email: args[0], Username: strings.TrimSpace(*username), Active: !*inactive, Roles: roles}
		if *confirmed {
			u.ConfirmedAt = time.Now()
		}
		if err := c.m.CreateUser(c.ctx, u, pw); err != nil {
			if errors.Is(err, gatehouse.ErrDuplicate) {
				return fmt.Errorf("a user with that email address or username already exists")
			}
			if errors.Is(err, gatehouse.ErrBadRequest) {
				return usagef("%v", strings.TrimPrefix(err.Error(), "gatehouse: bad request: "))
			}
			if errors.Is(err, gatehouse.ErrNotFound) { // a role not in the catalog
				return fmt.Errorf("user not created: %w", err)
			}
			return err
		}
		c.printf("created user %s (id %s)\n", u.Email, u.ID)
		return nil
	}
}

func setActive(active bool) func(*cli, []string) error {
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		if err := c.admin.SetActive(c.ctx, u, active); err != nil {
			return err
		}
		state := "activated"
		if !active {
			state = "deactivated"
		}
		c.printf("%s %s\n", state, u.Email)
		return nil
	}
}

func usersChangePassword(fs *flag.FlagSet) func(*cli, []string) error {
	stdin := fs.Bool("password-stdin", false, "read the new password from standard input (one line)")
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		pw, err := c.readPassword(*stdin)
		if err != nil {
			return err
		}
		if err := c.m.SetPassword(c.ctx, u, pw); err != nil {
			return err
		}
		c.printf("password changed for %s; their sessions have ended\n", u.Email)
		return nil
	}
}

func usersResetAccess(fs *flag.FlagSet) func(*cli, []string) error {
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		if err := c.m.EndSessions(c.ctx, u, gatehouse.UserChange{}); err != nil {
			return err
		}
		c.printf("reset access for %s: every session, remember cookie and token has ended\n", u.Email)
		return nil
	}
}

func usersSessions(fs *flag.FlagSet) func(*cli, []string) error {
	asJSON := fs.Bool("json", false, "print JSON, one object per session")
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		sessions, err := c.admin.UserSessions(c.ctx, u)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(c.io.Out)
			for _, s := range sessions {
				enc.Encode(map[string]any{
					"id": s.ID, "ip": s.IP, "user_agent": s.UserAgent, "created_at": s.CreatedAt.UTC(),
					"last_seen": s.UpdatedAt.UTC(), "expires_at": s.ExpiresAt.UTC(),
				})
			}
			return nil
		}
		tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tIP\tSTARTED\tLAST SEEN\tUSER AGENT")
		for _, s := range sessions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, dash(s.IP), s.CreatedAt.UTC().Format(time.DateTime), s.UpdatedAt.UTC().Format(time.DateTime), dash(s.UserAgent))
		}
		return tw.Flush()
	}
}

// usersRevokeSessions ends one listed session (--id), or, without --id,
// every session, remember cookie and token of the user (as reset-access).
func usersRevokeSessions(fs *flag.FlagSet) func(*cli, []string) error {
	id := fs.String("id", "", "the session to end, as users sessions lists it (default: all of them)")
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		if *id == "" {
			if err := c.m.EndSessions(c.ctx, u, gatehouse.UserChange{}); err != nil {
				return err
			}
			c.printf("ended every session, remember cookie and token of %s\n", u.Email)
			return nil
		}
		if err := c.admin.RevokeSession(c.ctx, u, *id); err != nil {
			if errors.Is(err, gatehouse.ErrNotFound) {
				return fmt.Errorf("%s has no session %s (see: users sessions %s)", u.Email, *id, args[0])
			}
			return err
		}
		c.printf("ended session %s of %s\n", *id, u.Email)
		return nil
	}
}

// usersResetFactors is for a user who lost their second factor and their
// recovery codes, once the operator has made sure who is asking: their
// next login is by password alone (or sets up a factor, if one is
// required).
func usersResetFactors(fs *flag.FlagSet) func(*cli, []string) error {
	return func(c *cli, args []string) error {
		store, ok := c.m.Config().Users.(mfa.Store)
		if !ok {
			return errors.New("the user store keeps no second factors")
		}
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		factors, err := store.Factors(c.ctx, u.ID)
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(factors))
		for _, f := range factors {
			ids = append(ids, f.ID)
		}
		if len(ids) > 0 {
			if err := store.DeleteFactors(c.ctx, u.ID, ids...); err != nil {
				return err
			}
		}
		c.printf("removed %d second factor(s), passkey(s) and recovery code(s) of %s\n", len(ids), u.Email)
		return nil
	}
}

func usersDelete(fs *flag.FlagSet) func(*cli, []string) error {
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		if err := c.admin.DeleteUser(c.ctx, u.ID); err != nil {
			return err
		}
		c.printf("deleted user %s\n", u.Email)
		return nil
	}
}

func usersList(fs *flag.FlagSet) func(*cli, []string) error {
	email := fs.String("email", "", "only users whose email address contains this")
	role := fs.String("role", "", "only users with this role")
	limit := fs.Int("limit", 0, "at most this many users (0: all)")
	asJSON := fs.Bool("json", false, "print JSON, one object per user")
	return func(c *cli, _ []string) error {
		users, err := c.admin.ListUsers(c.ctx, admin.Filter{Email: *email, Role: *role, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(c.io.Out)
			for _, u := range users {
				enc.Encode(map[string]any{
					"id": u.ID, "email": u.Email, "username": u.Username, "active": u.Active,
					"confirmed": u.IsConfirmed(), "roles": nonNil(u.Roles), "login_count": u.LoginCount,
				})
			}
			return nil
		}
		tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tUSERNAME\tACTIVE\tCONFIRMED\tROLES\tLOGINS")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%s\t%d\n", u.ID, u.Email, dash(u.Username), u.Active, u.IsConfirmed(), dash(strings.Join(u.Roles, ",")), u.LoginCount)
		}
		return tw.Flush()
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
