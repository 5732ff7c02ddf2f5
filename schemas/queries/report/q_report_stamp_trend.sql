-- q_report_stamp_trend.sql -- the recorded reports the Trend of the
-- unclosed Summary reads (q_unclosed_trend.sql: the 59 latest before
-- :as_of_day), each with its own stamp (003_report_output.sql; its
-- recorded_at for a report recorded before stamps were kept). The stamp of
-- A hashes them: an earlier date reported again after the data changed
-- records other counts, and a re-run of A must then write the Trend again,
-- not keep it as "up to date" (qa64). The count of those reports alone
-- (q_report_stamp.sql) did not change.
SELECT r.as_of_day,
       COALESCE(o.stamp, r.recorded_at, '')
  FROM report_run AS r
  LEFT JOIN report_output AS o ON o.as_of_day = r.as_of_day
 WHERE r.as_of_day < :as_of_day
 ORDER BY r.as_of_day DESC
 LIMIT 59;
