package main

// pageHTML is the demo's own pages, chosen by .Body, with the header and
// styles of templates/layout.html (which the built-in pages share).
const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse demo</title>
{{template "demo-style"}}</head><body>
{{template "nav" (dict "R" .R "CSRF" .CSRF)}}
<main>
{{range .Flashes}}<p class="flash {{.Category}}" role="status">{{.Message}}</p>{{end}}
{{if eq .Body "home"}}<div class="card"><h1>Welcome</h1>
  {{with currentUser .R}}<p>You are logged in as <strong>{{.Email}}</strong> (via {{$.Method}}{{if isFresh $.R}}, fresh{{end}}).</p>
  <p>Logins: {{.LoginCount}}{{if not .LastLoginAt.IsZero}}, last at {{.LastLoginAt.Format "2006-01-02 15:04"}}{{end}}.</p>
  <p id="security">Sign-in security: <a href="/tf-setup">two-factor</a> · <a href="/wan-register">passkeys</a> · <a href="/mf-recovery-codes">recovery codes</a></p>
  {{else}}<p>You are not logged in. <a href="/register">Sign up</a> (the confirmation mail lands in the <a href="/dev/mail">dev mailbox</a>) or <a href="/login">log in</a>.</p>{{end}}</div>
{{else if eq .Body "account"}}<div class="card"><h1>Your account</h1><ul id="account">
  <li><a href="/change">Change password</a></li><li><a href="/change-email">Change email address</a></li><li><a href="/change-username">Change username</a></li>
  <li><a href="/sessions">Where you are signed in</a></li><li><a href="/tf-setup">Two-factor</a> · <a href="/wan-register">Passkeys</a> · <a href="/mf-recovery-codes">Recovery codes</a></li>
  <li><a href="/delete-account">Delete account</a></li></ul></div>
{{else if eq .Body "protected"}}<div class="card"><h1>Protected</h1><p>Only logged-in users see this page.</p></div>
{{else if eq .Body "fresh"}}<div class="card"><h1>Fresh login</h1><p>This page needs a password login in the last 10 minutes; a remember-me cookie is not enough.</p></div>
{{else if eq .Body "admin"}}<div class="card"><h1>Admin</h1><p>Only users with the <code>admin</code> role see this page.</p>
  <table><thead><tr><th scope="col">ID</th><th scope="col">Email</th><th scope="col">Confirmed</th><th scope="col">Roles</th></tr></thead><tbody>
  {{range .Users}}<tr><td>{{.ID}}</td><td>{{.Email}}</td><td>{{if .IsConfirmed}}yes{{else}}no{{end}}</td><td>{{range .Roles}}{{.}} {{end}}</td></tr>{{end}}
  </tbody></table></div>
{{else if eq .Body "mail"}}<h1>Dev mailbox</h1><p class="muted">Mails the site sent, newest first. This page exists in the demo only: in production, mail goes over SMTP.</p>
  {{range .Mails}}<article class="card mail"><h2>{{.Subject}}</h2><p class="muted">To {{.To}} · {{.At.Format "15:04:05"}}</p><pre>{{linkify .Text}}</pre></article>
  {{else}}<div class="card"><p>No mail yet.</p></div>{{end}}
{{end}}
</main></body></html>`
