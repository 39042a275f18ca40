-- Second factors: authenticator apps, mail codes, passkeys, recovery
-- codes. data is opaque to the store (a sealed secret, a public
-- credential, a hash); counter only grows, which refuses a replayed code.
CREATE TABLE gatehouse_factors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES gatehouse_users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    data       BLOB    NOT NULL,
    counter    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX gatehouse_factors_user ON gatehouse_factors (user_id);
CREATE UNIQUE INDEX gatehouse_factors_name ON gatehouse_factors (user_id, kind, name) WHERE name <> '';
