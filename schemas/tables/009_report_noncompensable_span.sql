-- 009_report_noncompensable_span.sql -- schema version 9: the history of
-- the Non-compensable listing kept as spans of recorded report days, not
-- as a copy of the whole listing per report (issue 15, "a night costs what
-- is new"; qa40 measured report_noncompensable at 55,531 rows, 6.2 of
-- 9.4 MB, after 400 nights of ~650 closeouts: it grew quadratically, as
-- every report wrote its whole listing again).
--
-- What is stored (README "Changes since the previous report"): one row
-- per closeout key (SPEC §2: dealer_id, dispatch_id, submitted_at) and
-- primary reason for each run of consecutive *recorded* report days
-- (report_run.as_of_day, in order) whose listing (after that report's
-- --from) showed that key with that reason. first_day and last_day are
-- recorded days; last_day NULL = open: the run reaches the latest recorded
-- report. The invariant, which every reader relies on: for every recorded
-- day D, the rows with
--     first_day <= D AND (last_day IS NULL OR last_day >= D)
-- are exactly D's listing, one per key; spans of one key never share a
-- recorded day. Days that no report was recorded as of mean nothing: a
-- span may run across them (a report recorded later as of such a day
-- splits or adds spans, schemas/queries/history/history_record.sql).
--
-- Why: the only reader is the "New" column (history_changes.sql's
-- noncompensable_seen: which keys the previous report listed), a question
-- about one recorded day, which the spans answer through their unique
-- index. A night after every recorded one (the scheduler's case) leaves
-- every span still listed as it is, closes the spans of the keys that left
-- the listing and opens one per key that entered it: it writes what
-- changed, and the table holds one row per change, not one per key per
-- night. report_unclosed is left as it was (one row per call per night):
-- its days_open changes every night, and the trend, the summary's buckets
-- and explain read it night by night, so spans would not make it smaller.
--
-- The upgrade from version 8 builds the spans from report_noncompensable
-- (gaps and islands over the recorded days in order: a key's consecutive
-- recorded days with the same reason make one span, the one reaching the
-- latest recorded day is open) and drops it. Portable SQL (window
-- functions run on SQLite >= 3.25 and PostgreSQL).

CREATE TABLE report_noncompensable_span (
    dealer_id    TEXT NOT NULL,
    dispatch_id  TEXT NOT NULL,              -- '' = none given
    submitted_at TEXT NOT NULL,              -- 'YYYY-MM-DD HH:MM:SS'
    reason       TEXT NOT NULL,              -- primary reason then
    first_day    INTEGER NOT NULL,           -- a recorded as_of_day
    last_day     INTEGER                     -- a recorded as_of_day;
                                             -- NULL = open
);
CREATE UNIQUE INDEX report_noncompensable_span_key
    ON report_noncompensable_span (dealer_id, dispatch_id, submitted_at,
                                   first_day);
-- Recording a report as of A reads the spans covering A: the open ones
-- and those ending on or after A (history_record.sql), through this index
-- (an OR of two index searches on SQLite, a bitmap OR on PostgreSQL), so
-- that a night reads the spans of the current listing, not the whole
-- history.
CREATE INDEX report_noncompensable_span_last
    ON report_noncompensable_span (last_day);

INSERT INTO report_noncompensable_span (dealer_id, dispatch_id,
                                        submitted_at, reason, first_day,
                                        last_day)
SELECT g.dealer_id, g.dispatch_id, g.submitted_at, g.reason,
       MIN(g.as_of_day),
       CASE WHEN MAX(g.as_of_day) = (SELECT MAX(r.as_of_day)
                                       FROM report_run AS r)
            THEN NULL ELSE MAX(g.as_of_day) END
  FROM (SELECT h.dealer_id, h.dispatch_id, h.submitted_at, h.reason,
               h.as_of_day,
               -- the same number along a run of consecutive recorded days
               d.seq - ROW_NUMBER() OVER (
                   PARTITION BY h.dealer_id, h.dispatch_id, h.submitted_at,
                                h.reason
                   ORDER BY d.seq) AS island
          FROM report_noncompensable AS h
          JOIN (SELECT r.as_of_day,
                       ROW_NUMBER() OVER (ORDER BY r.as_of_day) AS seq
                  FROM report_run AS r) AS d
            ON d.as_of_day = h.as_of_day) AS g
 GROUP BY g.dealer_id, g.dispatch_id, g.submitted_at, g.reason, g.island
 ORDER BY g.dealer_id, g.dispatch_id, g.submitted_at, MIN(g.as_of_day);

DROP TABLE report_noncompensable;
