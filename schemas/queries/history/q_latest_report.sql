-- q_latest_report.sql -- `explain` without --as-of (SPEC §5): the as-of
-- date of the latest recorded report (002_report_history), so that the
-- story matches the workbooks an analyst has open. No row: none recorded.
SELECT as_of, as_of_day
  FROM report_run
 ORDER BY as_of_day DESC
 LIMIT 1;
