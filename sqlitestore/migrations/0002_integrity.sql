-- Revoked sessions get a table of their own, so a logout is an atomic
-- insert and concurrent logouts of one user all stand. The JSON column
-- they lived in goes; users who had live revocations get a new security
-- stamp, which ends every session they had (safe, if blunt).
CREATE TABLE gatehouse_revoked_sessions (
    user_id  INTEGER NOT NULL REFERENCES gatehouse_users (id) ON DELETE CASCADE,
    id       TEXT    NOT NULL,  -- SHA-256 of the session ID
    until_us INTEGER NOT NULL,  -- unix microseconds: when the session would have expired
    PRIMARY KEY (user_id, id)
) WITHOUT ROWID;
UPDATE gatehouse_users SET security_stamp = security_stamp || '.r' WHERE revoked_sessions <> '';
ALTER TABLE gatehouse_users DROP COLUMN revoked_sessions;
-- A passwordless link is bound to the browser that asked for it.
ALTER TABLE gatehouse_tokens ADD COLUMN binding TEXT NOT NULL DEFAULT '';
-- The mail outbox: jobs wait here until a worker has sent them. The
-- payload is sealed by gatehouse; nothing here names a recipient.
CREATE TABLE gatehouse_mail (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    payload       BLOB,
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    failed_at     INTEGER,
    error         TEXT    NOT NULL DEFAULT '',
    claim         TEXT    NOT NULL DEFAULT '',
    claimed_until INTEGER
);
CREATE INDEX gatehouse_mail_due ON gatehouse_mail (due_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX gatehouse_mail_sent ON gatehouse_mail (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX gatehouse_mail_failed ON gatehouse_mail (failed_at) WHERE failed_at IS NOT NULL;
