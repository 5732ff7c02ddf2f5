-- q_report_stamp.sql -- the inputs of a report as of :as_of_day that the
-- stamp of 003_report_output.sql names: imported files (count, last id), the
-- previous report (night_ctx, q_night_ctx.sql) and that report's own stamp,
-- the number of recorded reports before A (the Trend of the unclosed
-- Summary shows up to 60 of them: a report recorded later for an earlier
-- date changes it; and, with none before A, whether reports as of later
-- dates are, which the Trend's sentence says), and the night's files as listed (start of the night,
-- count, last delivery listed: a retry that only finds files already
-- listed changes nothing), and the night's inbox notes (008_inbox_note.sql:
-- a stray file found by a re-run is listed by the audit it writes).
SELECT (SELECT COUNT(*) FROM imported_file),
       (SELECT COALESCE(MAX(file_id), 0) FROM imported_file),
       p.previous_as_of_day,
       (SELECT o.stamp FROM report_output AS o
         WHERE o.as_of_day = p.previous_as_of_day),
       (SELECT COUNT(*) FROM report_run AS r
         WHERE r.as_of_day < :as_of_day),
       p.lo,
       (SELECT COUNT(*) FROM night_file),
       (SELECT COALESCE(MAX(n.delivery_id), 0) FROM night_file AS n),
       (SELECT COUNT(*) FROM report_run AS r
         WHERE r.as_of_day > :as_of_day),
       (SELECT COUNT(*) FROM inbox_note AS i
         WHERE i.night_as_of_day = :as_of_day)
  FROM night_ctx AS p;
