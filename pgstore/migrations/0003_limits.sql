-- Rate limits and brute-force throttles, shared by every instance on the
-- database: one row per (hashed) key, holding its GCRA theoretical
-- arrival time. last_ok records whether the last event was allowed, so
-- one upsert both decides and answers.
CREATE TABLE gatehouse_limits (
    key     TEXT     PRIMARY KEY,
    tat     BIGINT   NOT NULL,  -- unix microseconds
    last_ok SMALLINT NOT NULL
);
