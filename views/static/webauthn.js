// Gatehouse views: the browser's half of the WebAuthn ceremonies.
//
// A form with id wan-register, wan-signin or wan-verify begins its
// ceremony with a JSON POST to its action (which answers with
// credential_options and wan_state), asks the authenticator
// (navigator.credentials), then posts the credential to action/wan_state as
// an ordinary form, so the server answers the browser as any form: a
// redirect, with a flash.
(function () {
  "use strict";

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: fromB64url(d.id) });
    });
  }

  // creationOptions and requestOptions turn the server's JSON into what
  // navigator.credentials takes (binary fields as ArrayBuffers).
  function creationOptions(o) {
    var p = o.publicKey || o;
    if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON) {
      return { publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(p) };
    }
    return {
      publicKey: Object.assign({}, p, {
        challenge: fromB64url(p.challenge),
        user: Object.assign({}, p.user, { id: fromB64url(p.user.id) }),
        excludeCredentials: descriptors(p.excludeCredentials)
      })
    };
  }

  function requestOptions(o) {
    var p = o.publicKey || o;
    if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) {
      return { publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(p) };
    }
    return {
      publicKey: Object.assign({}, p, {
        challenge: fromB64url(p.challenge),
        allowCredentials: descriptors(p.allowCredentials)
      })
    };
  }

  // credentialJSON is the credential as the server parses it.
  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return JSON.stringify(cred.toJSON());
    var r = cred.response, response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return JSON.stringify({
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response: response,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    });
  }

  function showError(form, msg) {
    var el = form.querySelector("#wan-error") || document.getElementById("wan-error");
    if (!el) { alert(msg); return; }
    el.textContent = msg;
    el.hidden = false;
  }

  // begin posts the form's fields as JSON and returns the response.
  function begin(form) {
    var body = {};
    new FormData(form).forEach(function (v, k) { if (k !== "csrf_token") body[k] = v; });
    if ("remember" in body) body.remember = true;
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": form.dataset.csrf
      },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (j) {
        if (!res.ok) {
          var r = j.response || {}, errs = r.errors || [];
          throw new Error(errs[0] || ("HTTP " + res.status));
        }
        return j.response;
      });
    });
  }

  // finish posts the credential as an ordinary form, for the server's
  // redirect.
  function finish(form, state, credential) {
    var f = document.createElement("form");
    f.method = "post";
    var to = new URL(form.action, location.href); // keeps ?next=
    to.pathname = to.pathname.replace(/\/$/, "") + "/" + encodeURIComponent(state);
    f.action = to.toString();
    [["csrf_token", form.dataset.csrf], ["credential", credential]].forEach(function (kv) {
      var i = document.createElement("input");
      i.type = "hidden";
      i.name = kv[0];
      i.value = kv[1];
      f.appendChild(i);
    });
    document.body.appendChild(f);
    f.submit();
  }

  function ceremony(form, create) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!window.PublicKeyCredential || !navigator.credentials) {
        showError(form, form.dataset.unsupported || "This browser does not support passkeys.");
        return;
      }
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      begin(form).then(function (r) {
        var get = create
          ? navigator.credentials.create(creationOptions(r.credential_options))
          : navigator.credentials.get(requestOptions(r.credential_options));
        return get.then(function (cred) {
          if (!cred) throw new Error(form.dataset.cancelled || "No passkey was chosen.");
          finish(form, r.wan_state, credentialJSON(cred));
        });
      }).catch(function (err) {
        if (button) button.disabled = false;
        var msg = err && err.name === "NotAllowedError" ? (form.dataset.cancelled || err.message) : (err && err.message) || String(err);
        showError(form, msg);
      });
    });
  }

  var reg = document.getElementById("wan-register");
  if (reg) ceremony(reg, true);
  ["wan-signin", "wan-verify"].forEach(function (id) {
    var f = document.getElementById(id);
    if (f) ceremony(f, false);
  });
})();
