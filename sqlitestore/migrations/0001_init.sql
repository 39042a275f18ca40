-- Gatehouse schema for SQLite. Times are unix microseconds (NULL: never).
CREATE TABLE gatehouse_users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT    NOT NULL,
    email_key        TEXT    NOT NULL UNIQUE,  -- lower-cased by gatehouse: case-insensitive uniqueness
    username         TEXT,
    username_key     TEXT    UNIQUE,
    password_hash    TEXT    NOT NULL DEFAULT '',
    active           INTEGER NOT NULL DEFAULT 0,
    confirmed_at     INTEGER,
    security_stamp   TEXT    NOT NULL,
    last_login_at    INTEGER,
    current_login_at INTEGER,
    last_login_ip    TEXT    NOT NULL DEFAULT '',
    current_login_ip TEXT    NOT NULL DEFAULT '',
    login_count      INTEGER NOT NULL DEFAULT 0,
    revoked_sessions TEXT    NOT NULL DEFAULT '',  -- JSON, maintained by gatehouse
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE TABLE gatehouse_user_roles (
    user_id INTEGER NOT NULL REFERENCES gatehouse_users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;
CREATE TABLE gatehouse_roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    permissions TEXT NOT NULL DEFAULT '',  -- JSON array
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE gatehouse_tokens (
    kind          TEXT    NOT NULL,
    selector      TEXT    NOT NULL,
    verifier_hash BLOB    NOT NULL,
    user_id       TEXT    NOT NULL,
    stamp         TEXT    NOT NULL,
    email         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (kind, selector)
) WITHOUT ROWID;
CREATE INDEX gatehouse_tokens_user ON gatehouse_tokens (user_id);
CREATE INDEX gatehouse_tokens_expiry ON gatehouse_tokens (expires_at);
CREATE TABLE gatehouse_sessions (
    id         TEXT    PRIMARY KEY,  -- SHA-256 of the session token
    user_id    TEXT    NOT NULL DEFAULT '',
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX gatehouse_sessions_user ON gatehouse_sessions (user_id);
CREATE INDEX gatehouse_sessions_expiry ON gatehouse_sessions (expires_at);
