-- Rate limits and brute-force throttles, shared by every process on the
-- database: one row per (hashed) key, holding its GCRA theoretical
-- arrival time. last_ok records whether the last event was allowed, so
-- one upsert both decides and answers.
CREATE TABLE gatehouse_limits (
    key     TEXT    PRIMARY KEY,
    tat     INTEGER NOT NULL,  -- unix microseconds
    last_ok INTEGER NOT NULL
) WITHOUT ROWID;
