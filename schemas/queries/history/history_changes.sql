-- history_changes.sql -- README "Changes since the previous report": what
-- changed between the report being written (the rule tables of r020…, as
-- of A) and the previous report recorded in the database (002_report_history).
--
-- Run by reports/report.c after the rules, on the report's connection and
-- inside its transaction, so the comparison sees the same snapshot as the
-- workbooks. TEMP only, like the rules; `explain` does not run it.
--
-- Decisions:
--   * The previous report of A is the recorded one with the latest as-of
--     before A (q_night_ctx.sql states the rule once).
--   * A call is compared by dispatch_id, a closeout by its SPEC §2 key
--     (dealer_id, dispatch_id, submitted_at), which survive re-imports.
--   * A call that left the list is "Closed", and the Closed by column says
--     why in words, then the row that says so: 'closeout accepted
--     (closeouts_2.csv line 14)' (closeout_accepted), 'dispatch cancelled
--     (FILE line N)' (the current dispatch version's status), 'dispatched
--     after the as-of date (FILE line N)' (a later import re-dated it).
--     Those are the only ways out of r050's unclosed_call; 'no longer
--     listed' covers anything else (with the current dispatch version's
--     FILE line N when there is one). A bare FILE:LINE did not tell an
--     analyst that a closeout closed the call. The Source file and Source
--     line columns name the same row, for those who filter on them.
--   * "Bucket moved" compares bucket labels, so a report written with other
--     --buckets than the previous one shows the calls whose label differs.

-- Exactly one row: the previous report, or NULLs when there is none
-- (picked once, by q_night_ctx.sql: the audit's night follows the same one).
CREATE TEMP TABLE changes_ctx AS
SELECT r.as_of_day AS previous_as_of_day,
       r.as_of     AS previous_as_of
  FROM night_ctx AS x
  LEFT JOIN report_run AS r ON r.as_of_day = x.previous_as_of_day;

-- The calls the previous report listed (none without one).
CREATE TEMP TABLE previous_unclosed AS
SELECT h.dispatch_id, h.bucket_seq, h.bucket_label, h.days_open
  FROM changes_ctx AS p
  JOIN report_unclosed AS h ON h.as_of_day = p.previous_as_of_day
 ORDER BY h.dispatch_id;
CREATE UNIQUE INDEX previous_unclosed_id ON previous_unclosed (dispatch_id);
CREATE UNIQUE INDEX unclosed_call_id ON unclosed_call (dispatch_id);

-- One row per change, in the order of the Changes sheet: change_rank, then
-- the listing's own order (dispatched_at, dispatch_id). A dispatch has at
-- most one row. closed_how ('closeout', 'cancelled', 'other') is for the
-- counts; the sheet shows closed_by.
CREATE TEMP TABLE unclosed_change AS
SELECT 1 AS change_rank,
       'Newly unclosed' AS change,
       u.dispatch_id,
       u.dispatched_at,
       u.provider_id,
       CAST(NULL AS TEXT) AS previous_bucket,
       u.bucket_label AS bucket,
       u.days_open,
       CAST(NULL AS TEXT) AS closed_by,
       CAST(NULL AS TEXT) AS closed_how,
       u.file_name,
       u.line,
       (SELECT d.file_id FROM cur_dispatch AS d
         WHERE d.dispatch_id = u.dispatch_id) AS file_id
  FROM changes_ctx AS p
 CROSS JOIN unclosed_call AS u
 WHERE p.previous_as_of_day IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM previous_unclosed AS h
                    WHERE h.dispatch_id = u.dispatch_id)
UNION ALL
SELECT 2,
       'Closed',
       h.dispatch_id,
       d.dispatched_at,
       d.provider_id,
       h.bucket_label,
       NULL,
       NULL,
       CASE WHEN c.closeout_id IS NOT NULL
                THEN 'closeout accepted (' || c.file_name || ' line '
                     || CAST(c.line AS TEXT) || ')'
            WHEN d.status = 'CANCELLED'
                THEN 'dispatch cancelled (' || d.file_name || ' line '
                     || CAST(d.line AS TEXT) || ')'
            WHEN d.dispatched_day > x.as_of_day
                THEN 'dispatched after the as-of date (' || d.file_name
                     || ' line ' || CAST(d.line AS TEXT) || ')'
            WHEN d.dispatch_id IS NOT NULL
                THEN 'no longer listed (' || d.file_name || ' line '
                     || CAST(d.line AS TEXT) || ')'
            ELSE 'no longer listed' END,
       CASE WHEN c.closeout_id IS NOT NULL THEN 'closeout'
            WHEN d.status = 'CANCELLED' THEN 'cancelled'
            ELSE 'other' END,
       -- the row that closed it: the accepted closeout, else the current
       -- version of the dispatch (which says cancelled, or the new date)
       COALESCE(c.file_name, d.file_name),
       COALESCE(c.line, d.line),
       COALESCE(c.file_id, d.file_id)
  FROM previous_unclosed AS h
 CROSS JOIN run_ctx AS x
  LEFT JOIN dispatch_current AS d ON d.dispatch_id = h.dispatch_id
  LEFT JOIN closeout_accepted AS a ON a.dispatch_id = h.dispatch_id
  LEFT JOIN closeout_current AS c ON c.closeout_id = a.closeout_id
 WHERE NOT EXISTS (SELECT 1 FROM unclosed_call AS u
                    WHERE u.dispatch_id = h.dispatch_id)
UNION ALL
SELECT 3,
       'Bucket moved',
       u.dispatch_id,
       u.dispatched_at,
       u.provider_id,
       h.bucket_label,
       u.bucket_label,
       u.days_open,
       NULL,
       NULL,
       u.file_name,
       u.line,
       (SELECT d.file_id FROM cur_dispatch AS d
         WHERE d.dispatch_id = u.dispatch_id)
  FROM previous_unclosed AS h
  JOIN unclosed_call AS u ON u.dispatch_id = h.dispatch_id
 WHERE COALESCE(h.bucket_label, '') <> COALESCE(u.bucket_label, '');
CREATE UNIQUE INDEX unclosed_change_order
    ON unclosed_change (change_rank, dispatched_at, dispatch_id);

-- The non-compensable closeouts (as of A, before --from) whose key the
-- previous report listed: the others are "New" in the listing. That
-- listing is the spans covering its day (schemas/tables/009_*.sql).
-- The key index also serves history_record.sql's look-ups, and covers
-- what they read (reason, submitted_day for --from): probing the TEMP
-- table's wide rows instead made recording a 200k night's 17,000 rows
-- 0.15 s where the copy of version 8 took 0.02 (stop 31, measured with a
-- statement timer); covering, 0.03.
CREATE INDEX noncompensable_key
    ON noncompensable (dealer_id, dispatch_id, submitted_at, reason,
                       submitted_day);
CREATE TEMP TABLE noncompensable_seen AS
SELECT n.closeout_id
  FROM changes_ctx AS p
 CROSS JOIN noncompensable AS n
 WHERE EXISTS (SELECT 1 FROM report_noncompensable_span AS h
                WHERE h.dealer_id = n.dealer_id
                  AND h.dispatch_id = n.dispatch_id
                  AND h.submitted_at = n.submitted_at
                  AND h.first_day <= p.previous_as_of_day
                  AND (h.last_day IS NULL
                       OR h.last_day >= p.previous_as_of_day))
 ORDER BY n.closeout_id;
CREATE UNIQUE INDEX noncompensable_seen_id
    ON noncompensable_seen (closeout_id);
