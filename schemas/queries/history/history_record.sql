-- history_record.sql -- README "Changes since the previous report": records
-- the report just written (002_report_history.sql), replacing any earlier
-- record of the same as-of date. reports/report.c prepares the statements
-- one by one and binds :recorded_at (the UTC wall clock, never shown in a
-- workbook); every other value comes from the TEMP tables the workbooks were
-- written from (run_ctx, changes_ctx, unclosed_call, noncompensable), in the
-- report's own transaction. Rows go in in key order, so the same report
-- always gives the same rows (tests/e2e/t4000).
DELETE FROM report_output
 WHERE as_of_day = (SELECT x.as_of_day FROM run_ctx AS x);
DELETE FROM report_unclosed
 WHERE as_of_day = (SELECT x.as_of_day FROM run_ctx AS x);
DELETE FROM report_run
 WHERE as_of_day = (SELECT x.as_of_day FROM run_ctx AS x);
INSERT INTO report_run (as_of_day, as_of, from_day, previous_as_of_day,
                        n_unclosed, n_noncompensable, recorded_at,
                        delivered_upto)
SELECT x.as_of_day, x.as_of, x.from_day, p.previous_as_of_day,
       (SELECT COUNT(*) FROM unclosed_call),
       (SELECT COUNT(*) FROM noncompensable AS n
         WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day),
       :recorded_at,
       (SELECT g.hi FROM night_ctx AS g)
  FROM run_ctx AS x
 CROSS JOIN changes_ctx AS p;
INSERT INTO report_unclosed (as_of_day, dispatch_id, bucket_seq,
                             bucket_label, days_open)
SELECT x.as_of_day, u.dispatch_id, u.bucket_seq, u.bucket_label, u.days_open
  FROM run_ctx AS x
 CROSS JOIN unclosed_call AS u
 ORDER BY u.dispatch_id;
-- The rows the Non-compensable listing showed (SPEC §3: after --from),
-- kept as spans of recorded days (schemas/tables/009_*.sql states the
-- invariant: the spans covering a recorded day D are D's listing). With
-- A this report's day and P, N the recorded days just before and after A
-- (A's own record excluded: it is being replaced), four statements keep
-- the invariant for every recorded day and write only what differs:
--   1. a span covering A whose key and reason A's listing does not show
--      keeps its part after A, from N, if that still covers a recorded
--      day (N exists, and the span is open or reaches N);
--   2. and its part before A, up to P, if that covers one (P >= first);
--   3. else it is deleted (it covered A alone);
--   4. a row of A's listing that no span covers at A gets the span
--      [A, A], or [A, open] when no report after A is recorded.
-- So a night after every recorded one leaves the spans still listed as
-- they are (the scheduler's case writes what changed), and re-running a
-- night with the same listing writes nothing. Adjacent spans of one key
-- and reason are not merged (a report recorded between two others may
-- leave two where one would do); every reader goes by the invariant.
-- Portable: correlated subqueries and row values, no UPDATE ... FROM.
-- A's listing (after --from), as the statements compare it: its TEMP key
-- index (history_changes.sql) covers every column read here.
DROP VIEW IF EXISTS history_listed;
CREATE TEMP VIEW history_listed AS
SELECT n.dealer_id, n.dispatch_id, n.submitted_at, n.reason
  FROM noncompensable AS n
 CROSS JOIN run_ctx AS x
 WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day;
-- The spans covering A whose key and reason A's listing does not show
-- (found once: the one pass over the spans still listed; statements 1-3
-- then touch only these, usually few).
DROP TABLE IF EXISTS history_gone;
CREATE TEMP TABLE history_gone AS
SELECT s.dealer_id, s.dispatch_id, s.submitted_at, s.reason, s.first_day,
       s.last_day
  FROM run_ctx AS x
 CROSS JOIN report_noncompensable_span AS s   -- x first: the spans at A
 WHERE s.first_day <= x.as_of_day
   AND (s.last_day IS NULL OR s.last_day >= x.as_of_day)
   AND NOT EXISTS (SELECT 1 FROM history_listed AS n
                    WHERE n.dealer_id = s.dealer_id
                      AND n.dispatch_id = s.dispatch_id
                      AND n.submitted_at = s.submitted_at
                      AND n.reason = s.reason);
-- 1. the part from N
INSERT INTO report_noncompensable_span (dealer_id, dispatch_id,
                                        submitted_at, reason, first_day,
                                        last_day)
SELECT g.dealer_id, g.dispatch_id, g.submitted_at, g.reason, w.next_day,
       g.last_day
  FROM (SELECT (SELECT MIN(r.as_of_day) FROM report_run AS r
                 WHERE r.as_of_day > x.as_of_day) AS next_day
          FROM run_ctx AS x) AS w
 CROSS JOIN history_gone AS g
 WHERE w.next_day IS NOT NULL
   AND (g.last_day IS NULL OR g.last_day >= w.next_day)
 ORDER BY g.dealer_id, g.dispatch_id, g.submitted_at;
-- 2. the part up to P (P >= first)
UPDATE report_noncompensable_span
   SET last_day = (SELECT MAX(r.as_of_day) FROM report_run AS r
                    WHERE r.as_of_day < (SELECT x.as_of_day
                                           FROM run_ctx AS x))
 WHERE (dealer_id, dispatch_id, submitted_at, first_day)
       IN (SELECT g.dealer_id, g.dispatch_id, g.submitted_at, g.first_day
             FROM history_gone AS g)
   AND first_day <= (SELECT MAX(r.as_of_day) FROM report_run AS r
                      WHERE r.as_of_day < (SELECT x.as_of_day
                                             FROM run_ctx AS x));
-- 3. the others (still covering A: they covered nothing before it)
DELETE FROM report_noncompensable_span
 WHERE (dealer_id, dispatch_id, submitted_at, first_day)
       IN (SELECT g.dealer_id, g.dispatch_id, g.submitted_at, g.first_day
             FROM history_gone AS g)
   AND (last_day IS NULL
        OR last_day >= (SELECT x.as_of_day FROM run_ctx AS x));
-- 4. the rows of A's listing no span covers at A
INSERT INTO report_noncompensable_span (dealer_id, dispatch_id,
                                        submitted_at, reason, first_day,
                                        last_day)
SELECT n.dealer_id, n.dispatch_id, n.submitted_at, n.reason, x.as_of_day,
       CASE WHEN EXISTS (SELECT 1 FROM report_run AS r
                          WHERE r.as_of_day > x.as_of_day)
            THEN x.as_of_day END
  FROM history_listed AS n
 CROSS JOIN run_ctx AS x
 WHERE NOT EXISTS (SELECT 1 FROM report_noncompensable_span AS s
                    WHERE s.dealer_id = n.dealer_id
                      AND s.dispatch_id = n.dispatch_id
                      AND s.submitted_at = n.submitted_at
                      AND s.first_day <= x.as_of_day
                      AND (s.last_day IS NULL
                           OR s.last_day >= x.as_of_day))
 ORDER BY n.dealer_id, n.dispatch_id, n.submitted_at;
DROP TABLE history_gone;
DROP VIEW history_listed;
