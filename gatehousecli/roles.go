package gatehousecli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
)

func rolesCreate(fs *flag.FlagSet) func(*cli, []string) error {
	desc := fs.String("description", "", "what the role is for")
	perms := fs.String("permissions", "", "comma-separated permissions the role grants")
	return func(c *cli, args []string) error {
		r := &gatehouse.Role{Name: args[0], Description: *desc}
		if *perms != "" {
			r.Permissions = strings.Split(*perms, ",")
		}
		if err := c.admin.CreateRole(c.ctx, r); err != nil {
			if errors.Is(err, gatehouse.ErrDuplicate) {
				return fmt.Errorf("role %q already exists", args[0])
			}
			return err
		}
		c.printf("created role %s\n", r.Name)
		return nil
	}
}

func rolesAdd(fs *flag.FlagSet) func(*cli, []string) error {
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		if err := c.admin.AddRole(c.ctx, u, args[1]); err != nil {
			if errors.Is(err, gatehouse.ErrNotFound) {
				return fmt.Errorf("no role %q (create it with: gatehouse roles create %s)", args[1], args[1])
			}
			return err
		}
		c.printf("gave %s the role %s\n", u.Email, args[1])
		return nil
	}
}

func rolesRemove(fs *flag.FlagSet) func(*cli, []string) error {
	return func(c *cli, args []string) error {
		u, err := c.user(args[0])
		if err != nil {
			return err
		}
		if !u.HasRole(args[1]) {
			return fmt.Errorf("%s does not have the role %s", u.Email, args[1])
		}
		if err := c.admin.RemoveRole(c.ctx, u, args[1]); err != nil {
			return err
		}
		c.printf("took the role %s from %s\n", args[1], u.Email)
		return nil
	}
}

func rolesList(fs *flag.FlagSet) func(*cli, []string) error {
	return func(c *cli, _ []string) error {
		roles, err := c.admin.Roles(c.ctx)
		if errors.Is(err, admin.ErrUnsupported) {
			return errors.New("no role catalog configured")
		}
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDESCRIPTION\tPERMISSIONS")
		for _, r := range roles {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, dash(r.Description), dash(strings.Join(r.Permissions, ",")))
		}
		return tw.Flush()
	}
}
