-- 005_delivery.sql -- schema version 5: every file an `import` or `run` was
-- given or found, with what became of it (SPEC §4 "The night of an audit
-- workbook"; issue 12). imported_file holds the bytes that were loaded or
-- refused once; delivery holds each time a file was delivered, so that the
-- audit of a night lists the night's files -- loaded, refused, unreadable,
-- or skipped (the same bytes were imported before) -- from the database
-- alone, after a kill too.
--
-- Written by etl/load.c: a loaded file's row in the transaction that loads
-- it, a refused file's in the transaction that records the refusal, a skip
-- or an unreadable file in a transaction of its own. A skip, refusal or
-- unreadable file already delivered in the open night (after the last
-- recorded report) is not written again, so a night run again after a kill
-- adds nothing; a file re-delivered every night costs one row a night.
--
-- The night of a report as of A is (lo, hi] in delivery_id:
-- lo = delivered_upto of the previous report (latest recorded as-of before
-- A, as schemas/queries/history/history_changes.sql picks it; 0 without
-- one), hi = every delivery so far, or A's own recorded delivered_upto
-- when A was recorded before and a later as-of has been recorded since
-- (re-running an old night lists that night's files, not newer ones).
-- Portable SQL, as 001_tables.sql.

CREATE TABLE delivery (
    delivery_id  INTEGER PRIMARY KEY,    -- delivery order
    file_id      INTEGER REFERENCES imported_file (file_id),
                                         -- loaded/refused: its file; skipped:
                                         -- the earlier file with the same
                                         -- bytes; unreadable: NULL
    name         TEXT NOT NULL,          -- base name, as shown in workbooks
    path         TEXT NOT NULL,          -- path as given
    kind         TEXT NOT NULL
                 CHECK (kind IN ('registrations', 'dispatches', 'closeouts')),
    sha256       TEXT,                   -- NULL: could not be read
    size_bytes   INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL
                 CHECK (status IN ('loaded', 'refused', 'unreadable',
                                   'skipped')),
    reason       TEXT NOT NULL DEFAULT '',  -- refused/unreadable: why
    delivered_at TEXT NOT NULL           -- UTC wall clock
);
CREATE INDEX delivery_sha ON delivery (sha256);

-- Files imported before this version: delivered when they were imported.
INSERT INTO delivery (delivery_id, file_id, name, path, kind, sha256,
                      size_bytes, status, reason, delivered_at)
SELECT f.file_id, f.file_id, f.name, f.path, f.kind, f.sha256, f.size_bytes,
       f.status, f.reason, f.imported_at
  FROM imported_file AS f
 ORDER BY f.file_id;

-- The last delivery each recorded report covered (see above): the last
-- file its workbooks were made from, as its stamp names it
-- (003_report_output.sql: "...; files N last FILE_ID; ..."; here
-- delivery_id = file_id). A report with no stamp (a version-2 database's)
-- takes the files imported by its wall-clock second -- which alone cannot
-- tell a file imported in the same second after the report (a backfill of
-- nights by import and report, each well under a second; qa25, t9000)
-- from one before it.
ALTER TABLE report_run ADD COLUMN delivered_upto INTEGER NOT NULL DEFAULT 0;
UPDATE report_run
   SET delivered_upto = COALESCE(
       (SELECT MAX(v.delivery_id)
          FROM report_output AS o, delivery AS v
         WHERE o.as_of_day = report_run.as_of_day
           AND o.stamp LIKE '%; files % last ' || v.delivery_id || ';%'),
       (SELECT COALESCE(MAX(v.delivery_id), 0)
          FROM delivery AS v
         WHERE v.delivered_at <= report_run.recorded_at));
