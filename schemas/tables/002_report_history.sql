-- 002_report_history.sql -- schema version 2: what each report run listed,
-- so that the next report can say what changed since then (README "Changes
-- since the previous report"; issue 8).
--
-- One record per as-of date: re-running a report as of A replaces A's
-- record (reports/report.c deletes and re-inserts it, in the transaction
-- that also read the data the workbooks were written from). The previous
-- report of a run as of A is the record with the latest as-of before A
-- (schemas/history_changes.sql), never A's own, so that re-running A
-- gives byte-identical workbooks.
--
-- Only keys that survive re-imports are kept: a dispatch by dispatch_id, a
-- closeout by its SPEC §2 key (dealer_id, dispatch_id, submitted_at), never
-- by a row id of a version that a later import supersedes. Rows are
-- inserted in key order, so the same report gives the same rows in the
-- same order (tests/e2e/t4000 compares the tables after a killed run).
-- Portable SQL, as 001_tables.sql.

CREATE TABLE report_run (
    as_of_day          INTEGER PRIMARY KEY,  -- A as days since 1970-01-01
    as_of              TEXT NOT NULL,        -- A as 'YYYY-MM-DD'
    from_day           INTEGER,              -- --from D; NULL = none
    previous_as_of_day INTEGER,              -- the report it was compared
                                             -- with; NULL = none
    n_unclosed         INTEGER NOT NULL,     -- rows of its Unclosed calls
    n_noncompensable   INTEGER NOT NULL,     -- rows of its Non-compensable
    recorded_at        TEXT NOT NULL         -- UTC wall clock; never in
                                             -- workbooks
);

-- The calls its `Unclosed calls` listing named.
CREATE TABLE report_unclosed (
    as_of_day    INTEGER NOT NULL REFERENCES report_run (as_of_day),
    dispatch_id  TEXT NOT NULL,
    bucket_seq   INTEGER,                    -- NULL: no configured bucket
    bucket_label TEXT,                       -- matched its days_open (r050)
    days_open    INTEGER NOT NULL
);
CREATE UNIQUE INDEX report_unclosed_key
    ON report_unclosed (as_of_day, dispatch_id);

-- The closeouts its `Non-compensable` listing named (after --from).
CREATE TABLE report_noncompensable (
    as_of_day    INTEGER NOT NULL REFERENCES report_run (as_of_day),
    dealer_id    TEXT NOT NULL,
    dispatch_id  TEXT NOT NULL,              -- '' = none given
    submitted_at TEXT NOT NULL,              -- 'YYYY-MM-DD HH:MM:SS'
    reason       TEXT NOT NULL               -- primary reason then
);
CREATE UNIQUE INDEX report_noncompensable_key
    ON report_noncompensable (as_of_day, dealer_id, dispatch_id,
                              submitted_at);
