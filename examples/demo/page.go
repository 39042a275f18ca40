package main

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse demo</title>
<style>
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--muted:#5b6470;--accent:#2457d6;--accent-fg:#fff;--line:#d5dae1;--err:#c62828;--ok:#1e7d3a}
@media (prefers-color-scheme:dark){:root{--fg:#e7eaee;--bg:#101317;--card:#191d23;--muted:#9aa3ad;--accent:#7aa2ff;--accent-fg:#0b1020;--line:#323942;--err:#ff8a80;--ok:#7bd88f}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:var(--card);border-bottom:1px solid var(--line)}
nav{max-width:64rem;margin:0 auto;padding:.75rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
nav .brand{font-weight:700;text-decoration:none;color:inherit}
nav .who{margin-left:auto;color:var(--muted);display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
main{max-width:48rem;margin:2rem auto;padding:0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem;margin-bottom:1rem}
a{color:var(--accent)} a:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button{padding:.4rem .9rem;font:inherit;border:0;border-radius:8px;background:var(--accent);color:var(--accent-fg);cursor:pointer}
.flash{padding:.65rem .8rem;border-radius:8px;border:1px solid var(--line);margin:0 0 1rem;background:var(--card)}
.flash.error{border-color:var(--err);color:var(--err)} .flash.success,.flash.info{border-color:var(--ok)}
table{width:100%;border-collapse:collapse} th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line)}
pre{white-space:pre-wrap;word-break:break-all;font:inherit;margin:.5rem 0 0}
.muted{color:var(--muted)}
</style></head><body>
<header><nav aria-label="Main">
<a class="brand" href="/">Gatehouse demo</a><a href="/protected">Protected</a><a href="/fresh">Fresh only</a><a href="/admin">Admin</a><a href="/dev/mail">Dev mailbox</a>
<span class="who">{{with currentUser .R}}<span id="who">{{.Email}}</span><a href="/change">Change password</a>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{$.CSRF}}"><button type="submit">Log out</button></form>
{{else}}<a href="/login">Log in</a><a href="/register">Sign up</a>{{end}}</span>
</nav></header>
<main>
{{range .Flashes}}<p class="flash {{.Category}}" role="status">{{.Message}}</p>{{end}}
{{if eq .Body "home"}}<div class="card"><h1>Welcome</h1>
  {{with currentUser .R}}<p>You are logged in as <strong>{{.Email}}</strong> (via {{$.Method}}{{if isFresh $.R}}, fresh{{end}}).</p>
  <p>Logins: {{.LoginCount}}{{if not .LastLoginAt.IsZero}}, last at {{.LastLoginAt.Format "2006-01-02 15:04"}}{{end}}.</p>
  <p id="security">Sign-in security: <a href="/tf-setup">two-factor</a> · <a href="/wan-register">passkeys</a> · <a href="/mf-recovery-codes">recovery codes</a></p>
  {{else}}<p>You are not logged in. <a href="/register">Sign up</a> (the confirmation mail lands in the <a href="/dev/mail">dev mailbox</a>) or <a href="/login">log in</a>.</p>{{end}}</div>
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
