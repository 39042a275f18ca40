# Vectors for flaskimport.SwitchOver, made with the real itsdangerous
# (pallets/itsdangerous source) and Flask-Login's cookie digest, copied
# from flask_login/utils.py (_cookie_digest: HMAC-SHA512, latin-1 key).
import hmac, json, os, sys, time
from hashlib import sha512
sys.path.insert(0, os.environ.get("ITSDANGEROUS_SRC", "src"))  # the src/ of a pallets/itsdangerous checkout
import itsdangerous
from itsdangerous import URLSafeTimedSerializer

m = json.load(open(os.path.join(os.path.dirname(__file__), "flask_security_app.json")))
key = m["secret_key"]
uid = m["users"][0]["fs_uniquifier"]
inactive = [u for u in m["users"] if not u["active"]][0]

def cookie(payload, k):
    return f"{payload}|{hmac.new(k.encode('latin1'), payload.encode('utf-8'), sha512).hexdigest()}"

s = URLSafeTimedSerializer([key], salt="remember-salt")
other = URLSafeTimedSerializer(["another-secret"], salt="remember-salt")
now = int(time.time())
out = {
  "generator": "itsdangerous " + getattr(itsdangerous, "__version__", "main") + " (pallets/itsdangerous source); Flask-Login _cookie_digest",
  "secret_key": key,
  "uniquifier": uid,
  "inactive_uniquifier": inactive["fs_uniquifier"],
  "remember_cookie": cookie(uid, key),
  "remember_cookie_inactive": cookie(inactive["fs_uniquifier"], key),
  "remember_cookie_other_key": cookie(uid, "another-secret"),
  "token_v4": s.dumps([uid]),
  "token_v3": s.dumps(["1", "d41d8cd98f00b204e9800998ecf8427e", uid]),
  "token_v5": s.dumps({"ver": "5", "uid": uid, "fs_paa": time.time(), "exp": 0}),
  "token_v5_expired": s.dumps({"ver": "5", "uid": uid, "fs_paa": time.time(), "exp": now - 60}),
  "token_v5_compressed": s.dumps({"ver": "5", "uid": uid, "fs_paa": time.time(), "exp": 0, "pad": "x" * 400}),
  "token_other_key": other.dumps([uid]),
  "token_inactive": s.dumps([inactive["fs_uniquifier"]]),
  "issued_at": now,
}
assert out["token_v5_compressed"].startswith(".")
json.dump(out, open(os.path.join(os.path.dirname(__file__), "flask_switchover.json"), "w"), indent=1)
print(json.dumps(out, indent=1)[:1200])
