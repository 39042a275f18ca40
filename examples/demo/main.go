// Command demo is a complete site on gatehouse, every feature on: sign-up
// with email confirmation, login with "remember me", logout, password reset
// and change, passwordless login, a protected page, a page that needs a
// fresh login, an admin page behind a role, and a development mailbox at
// /dev/mail showing the mails the site "sent", with their links.
//
//	go run ./examples/demo
//
// It keeps its data in a SQLite file (gatehouse-demo.db in the working
// directory, or -db), the embedded default, and prints the URL to open and
// the admin account it created.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	database := flag.String("db", "gatehouse-demo.db", "SQLite file (or sqlite:// or postgres:// URL)")
	flag.Parse()
	if err := run(*addr, *database); err != nil {
		log.Fatal(err)
	}
}

func run(addr, database string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := siteURL(ln.Addr().(*net.TCPAddr))
	d, err := newDemo(ctx, database, base, os.Stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	// The outbox workers run until the server has finished its requests.
	work, stopWork := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- d.views.Run(work) }()

	srv := &http.Server{Handler: d.handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("Gatehouse demo (%s): open %s/\n", d.where, base)
	fmt.Printf("  admin login: %s / %s\n", adminEmail, adminPassword)
	fmt.Printf("  mails the site sends appear at %s/dev/mail\n", base)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		stopWork()
		<-worked
		return err
	case <-ctx.Done():
	}
	// Graceful stop: no new connections, in-flight requests finish, then
	// the workers finish the mail in hand, then the database closes.
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	stopWork()
	<-worked
	return err
}

// siteURL is the demo's address: on the loopback interface, by the name
// localhost, as browsers allow passkeys there (a WebAuthn relying party
// is a domain, never an IP address).
func siteURL(a *net.TCPAddr) string {
	if a.IP.IsLoopback() {
		return fmt.Sprintf("http://localhost:%d", a.Port)
	}
	return "http://" + a.String()
}
