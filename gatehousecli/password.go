package gatehousecli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/gatehouse-auth/gatehouse/password"
)

// readPassword gets a new password: one line from standard input with
// --password-stdin, else typed twice at a terminal without echo. It is
// checked against password.Policy (at least 8 characters, not a common
// password).
func (c *cli) readPassword(fromStdin bool) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(c.io.In, password.MaxBytes+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := c.io.In.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usagef("no terminal to ask for the password: pipe it in with --password-stdin")
		}
		fmt.Fprint(c.io.Err, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.io.Err)
		if err != nil {
			return "", err
		}
		fmt.Fprint(c.io.Err, "Repeat password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.io.Err)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords do not match")
		}
		pw = string(first)
	}
	if err := (password.Policy{}).Validate(c.ctx, pw); err != nil {
		return "", fmt.Errorf("password refused: %w", err)
	}
	return pw, nil
}
