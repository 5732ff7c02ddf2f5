-- q_night_ctx.sql -- the report as of :as_of_day, the previous report it
-- follows and the deliveries of its night (SPEC §4 "The night of an audit
-- workbook"; schemas/tables/005_delivery.sql). The one statement of the
-- rule "the previous report of A is the recorded report with the latest
-- as-of before A": never A's own record (re-running A gives the same
-- bytes), never a later one (re-running an old night after a newer one
-- still follows the night before it). The Changes sheet
-- (history_changes.sql), the re-run stamp (q_report_stamp.sql) and the
-- audit's night (q_night_files.sql) all read it from here.
--
-- The night is the deliveries lo < delivery_id <= hi: lo is where the
-- previous report's night ended (0 without one: every file); hi is every
-- delivery so far, except for a report as of A recorded before while a
-- later as-of has been recorded since: it keeps the night it had, and
-- what runs as of A delivered after it (q_night_files.sql; version 7).
-- reports/report.c runs it once per connection, in the report's
-- transaction, before anything else reads it.
CREATE TEMP TABLE night_ctx AS
SELECT :as_of_day AS as_of_day,
       p.as_of_day AS previous_as_of_day,
       COALESCE((SELECT r.delivered_upto FROM report_run AS r
                  WHERE r.as_of_day = p.as_of_day), 0) AS lo,
       CASE WHEN EXISTS (SELECT 1 FROM report_run AS l
                          WHERE l.as_of_day > :as_of_day)
             AND EXISTS (SELECT 1 FROM report_run AS s
                          WHERE s.as_of_day = :as_of_day)
            THEN (SELECT s.delivered_upto FROM report_run AS s
                   WHERE s.as_of_day = :as_of_day)
            ELSE (SELECT COALESCE(MAX(v.delivery_id), 0) FROM delivery AS v)
       END AS hi
  FROM (SELECT MAX(r.as_of_day) AS as_of_day FROM report_run AS r
         WHERE r.as_of_day < :as_of_day) AS p;
