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
DELETE FROM report_noncompensable
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
-- The rows the Non-compensable listing showed (SPEC §3: after --from).
INSERT INTO report_noncompensable (as_of_day, dealer_id, dispatch_id,
                                   submitted_at, reason)
SELECT x.as_of_day, n.dealer_id, n.dispatch_id, n.submitted_at, n.reason
  FROM run_ctx AS x
 CROSS JOIN noncompensable AS n
 WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day
 ORDER BY n.dealer_id, n.dispatch_id, n.submitted_at;
