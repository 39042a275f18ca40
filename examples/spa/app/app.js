// A single-page app on Gatehouse's JSON API (docs/json-api.md), without a
// framework: it routes by path, reads the CSRF token from the XSRF-TOKEN
// cookie, and handles the routes mailed links land on (views.Config.SPA).
"use strict";

const api = "/api";

function csrf() {
  const m = document.cookie.match(/(?:^|; )XSRF-TOKEN=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

// call sends a JSON request and returns {ok, status, response}.
async function call(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-XSRF-Token"] = csrf();
  const r = await fetch(api + path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, response: data.response || {} };
}

function say(text) { document.getElementById("message").textContent = text || ""; }

function problem(res) {
  const r = res.response;
  const fields = Object.values(r.field_errors || {}).flat();
  return [...(r.errors || []), ...fields].join(" ") || "Something went wrong (" + res.status + ").";
}

function go(path) { history.pushState(null, "", path); route(); }

function form(id, fields, button, onsubmit) {
  const f = document.createElement("form");
  f.id = id;
  for (const [name, type, label] of fields) {
    const l = document.createElement("label");
    l.textContent = label;
    const i = document.createElement("input");
    i.name = name; i.type = type; i.id = id + "-" + name;
    l.append(i);
    f.append(l);
  }
  const b = document.createElement("button");
  b.textContent = button;
  f.append(b);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(f));
    await onsubmit(values);
  });
  return f;
}

const routes = {
  "/app/": async (view) => {
    const s = await call("GET", "/session");
    if (!s.response.authenticated) {
      view.innerHTML = "<h1>Welcome</h1><p>You are not logged in.</p>";
      return;
    }
    view.innerHTML = "<h1>Welcome</h1>";
    const who = document.createElement("p");
    who.id = "who";
    who.textContent = s.response.user.email;
    const hello = document.createElement("button");
    hello.id = "hello"; hello.textContent = "Say hello";
    hello.onclick = async () => { const r = await call("GET", "/hello"); say(r.ok ? r.response.message : problem(r)); };
    const out = document.createElement("button");
    out.id = "logout"; out.textContent = "Log out";
    out.onclick = async () => { await call("POST", "/logout", {}); say("Logged out."); go("/app/"); };
    view.append(who, hello, out);
  },
  "/app/login": async (view) => {
    await call("GET", "/session"); // the CSRF cookie
    view.innerHTML = "<h1>Log in</h1>";
    view.append(form("login", [["email", "email", "Email"], ["password", "password", "Password"]], "Log in", async (v) => {
      const r = await call("POST", "/login", v);
      if (r.ok && !r.response.tf_required) { say(""); go("/app/"); return; }
      say(r.ok ? "A second factor is needed: not in this example." : problem(r));
    }));
    view.append(form("magic", [["email", "email", "Email"]], "Mail me a login link", async (v) => {
      const r = await call("POST", "/login", v); // no password field: a passwordless request
      say(r.ok ? "If the address has an account, a login link is on its way." : problem(r));
    }));
    const forgot = document.createElement("a");
    forgot.href = "/app/forgot"; forgot.textContent = "Forgot your password?"; forgot.dataset.route = "";
    view.append(forgot);
  },
  "/app/register": async (view) => {
    await call("GET", "/session");
    view.innerHTML = "<h1>Sign up</h1>";
    view.append(form("register", [["email", "email", "Email"], ["password", "password", "Password"]], "Sign up", async (v) => {
      const r = await call("POST", "/register", v);
      if (r.ok) { say("Welcome!"); go("/app/"); } else { say(problem(r)); }
    }));
  },
  "/app/forgot": async (view) => {
    await call("GET", "/session");
    view.innerHTML = "<h1>Forgot your password?</h1>";
    view.append(form("forgot", [["email", "email", "Email"]], "Mail me a reset link", async (v) => {
      const r = await call("POST", "/reset", v);
      say(r.ok ? "If the address has an account, reset instructions are on their way." : problem(r));
    }));
  },
  // Where a mailed reset link lands: /app/reset?token=...
  "/app/reset": async (view, q) => {
    await call("GET", "/session");
    view.innerHTML = "<h1>Choose a new password</h1>";
    view.append(form("reset", [["password", "password", "New password"], ["password_confirm", "password", "Again"]], "Set the password", async (v) => {
      const r = await call("POST", "/reset/" + encodeURIComponent(q.get("token")), v);
      if (r.ok) { say("Your password is changed: log in with it."); go("/app/login"); } else { say(problem(r)); }
    }));
  },
  // Where a mailed login link lands: /app/magic?token=...&email=...
  "/app/magic": async (view, q) => {
    await call("GET", "/session");
    view.innerHTML = "<h1>Log in by link</h1>";
    const p = document.createElement("p");
    p.textContent = "Log in as " + q.get("email") + (q.get("other_device") === "true" ? " (the link was asked for in another browser)" : "") + "?";
    view.append(p, form("magic-confirm", [], "Log in", async () => {
      const body = q.get("other_device") === "true" ? { other_device: true } : {};
      const r = await call("POST", "/login/" + encodeURIComponent(q.get("token")), body);
      if (r.ok) { say(""); go("/app/"); } else { say(problem(r)); }
    }));
  },
};

async function route() {
  const q = new URLSearchParams(location.search);
  // Errors from mailed links come as ?error=... (or another category).
  const told = q.get("error") || q.get("info") || q.get("success");
  if (told) say(told);
  const view = document.getElementById("view");
  view.replaceChildren();
  await (routes[location.pathname] || routes["/app/"])(view, q);
  document.body.dataset.ready = location.pathname;
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-route]");
  if (a) { e.preventDefault(); say(""); go(a.getAttribute("href")); }
});
window.addEventListener("popstate", route);
route();
