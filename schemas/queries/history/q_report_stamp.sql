-- q_report_stamp.sql -- the inputs of a report as of :as_of_day that the
-- stamp of 003_report_output.sql names: imported files (count, last id), the
-- previous report (latest recorded before A, as history_changes.sql picks
-- it) and that report's own stamp, and the number of recorded reports
-- before A (the Trend of the unclosed Summary shows up to 60 of them: a
-- report recorded later for an earlier date changes it).
SELECT (SELECT COUNT(*) FROM imported_file),
       (SELECT COALESCE(MAX(file_id), 0) FROM imported_file),
       p.as_of_day,
       (SELECT o.stamp FROM report_output AS o
         WHERE o.as_of_day = p.as_of_day),
       (SELECT COUNT(*) FROM report_run AS r
         WHERE r.as_of_day < :as_of_day)
  FROM (SELECT MAX(r.as_of_day) AS as_of_day FROM report_run AS r
         WHERE r.as_of_day < :as_of_day) AS p;
