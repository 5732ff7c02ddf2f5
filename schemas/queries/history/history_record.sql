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
-- Portable: correlated subqueries, no UPDATE ... FROM.
INSERT INTO report_noncompensable_span (dealer_id, dispatch_id,
                                        submitted_at, reason, first_day,
                                        last_day)
SELECT s.dealer_id, s.dispatch_id, s.submitted_at, s.reason, w.next_day,
       s.last_day
  FROM (SELECT x.as_of_day, x.from_day,
               (SELECT MIN(r.as_of_day) FROM report_run AS r
                 WHERE r.as_of_day > x.as_of_day) AS next_day
          FROM run_ctx AS x) AS w
  JOIN report_noncompensable_span AS s
    ON s.first_day <= w.as_of_day
   AND (s.last_day IS NULL OR s.last_day >= w.as_of_day)
 WHERE w.next_day IS NOT NULL
   AND (s.last_day IS NULL OR s.last_day >= w.next_day)
   AND NOT EXISTS (SELECT 1 FROM noncompensable AS n
                    WHERE n.dealer_id = s.dealer_id
                      AND n.dispatch_id = s.dispatch_id
                      AND n.submitted_at = s.submitted_at
                      AND n.reason = s.reason
                      AND (w.from_day IS NULL
                           OR n.submitted_day >= w.from_day))
 ORDER BY s.dealer_id, s.dispatch_id, s.submitted_at;
UPDATE report_noncompensable_span
   SET last_day = (SELECT MAX(r.as_of_day) FROM report_run AS r
                    WHERE r.as_of_day < (SELECT x.as_of_day
                                           FROM run_ctx AS x))
 WHERE first_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND (last_day IS NULL
        OR last_day >= (SELECT x.as_of_day FROM run_ctx AS x))
   AND first_day <= (SELECT MAX(r.as_of_day) FROM report_run AS r
                      WHERE r.as_of_day < (SELECT x.as_of_day
                                             FROM run_ctx AS x))
   AND NOT EXISTS (SELECT 1 FROM noncompensable AS n
                    CROSS JOIN run_ctx AS x
                    WHERE n.dealer_id = report_noncompensable_span.dealer_id
                      AND n.dispatch_id
                          = report_noncompensable_span.dispatch_id
                      AND n.submitted_at
                          = report_noncompensable_span.submitted_at
                      AND n.reason = report_noncompensable_span.reason
                      AND (x.from_day IS NULL
                           OR n.submitted_day >= x.from_day));
DELETE FROM report_noncompensable_span
 WHERE first_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND (last_day IS NULL
        OR last_day >= (SELECT x.as_of_day FROM run_ctx AS x))
   AND NOT EXISTS (SELECT 1 FROM noncompensable AS n
                    CROSS JOIN run_ctx AS x
                    WHERE n.dealer_id = report_noncompensable_span.dealer_id
                      AND n.dispatch_id
                          = report_noncompensable_span.dispatch_id
                      AND n.submitted_at
                          = report_noncompensable_span.submitted_at
                      AND n.reason = report_noncompensable_span.reason
                      AND (x.from_day IS NULL
                           OR n.submitted_day >= x.from_day));
INSERT INTO report_noncompensable_span (dealer_id, dispatch_id,
                                        submitted_at, reason, first_day,
                                        last_day)
SELECT n.dealer_id, n.dispatch_id, n.submitted_at, n.reason, x.as_of_day,
       CASE WHEN EXISTS (SELECT 1 FROM report_run AS r
                          WHERE r.as_of_day > x.as_of_day)
            THEN x.as_of_day END
  FROM run_ctx AS x
 CROSS JOIN noncompensable AS n
 WHERE (x.from_day IS NULL OR n.submitted_day >= x.from_day)
   AND NOT EXISTS (SELECT 1 FROM report_noncompensable_span AS s
                    WHERE s.dealer_id = n.dealer_id
                      AND s.dispatch_id = n.dispatch_id
                      AND s.submitted_at = n.submitted_at
                      AND s.first_day <= x.as_of_day
                      AND (s.last_day IS NULL
                           OR s.last_day >= x.as_of_day))
 ORDER BY n.dealer_id, n.dispatch_id, n.submitted_at;
