-- q_unclosed_trend.sql -- SPEC §4 "Trend": "the open calls by aging bucket
-- for each recorded report up to A (at most the last 60), as a table and a
-- chart". One row per (as-of date, bucket), every bucket of each date (0
-- when empty), oldest date first: the 59 latest recorded reports before A
-- (report_unclosed of 002_report_history.sql) and A itself from this run's
-- unclosed_call (A's own record, if any, is the same data or stale: a
-- re-run must write the same bytes whatever A's record holds).
-- Each recorded call is counted in the bucket of the current --buckets its
-- recorded days_open falls in, so a change of buckets never mixes labels.
-- The last column counts the reports recorded as of dates after A: with
-- none before A, the Summary's sentence says whether A is the first report
-- of the database or an earlier night reported after later ones.
WITH run AS (
    SELECT r.as_of_day, r.as_of
      FROM report_run AS r
     CROSS JOIN run_ctx AS x
     WHERE r.as_of_day < x.as_of_day
     ORDER BY r.as_of_day DESC
     LIMIT 59
), day_count AS (
    SELECT u.as_of_day, u.days_open, COUNT(*) AS n
      FROM run
      JOIN report_unclosed AS u ON u.as_of_day = run.as_of_day
     GROUP BY u.as_of_day, u.days_open
    UNION ALL
    SELECT x.as_of_day, c.days_open, COUNT(*)
      FROM unclosed_call AS c
     CROSS JOIN run_ctx AS x
     GROUP BY x.as_of_day, c.days_open
), day AS (
    SELECT run.as_of_day, run.as_of FROM run
    UNION ALL
    SELECT x.as_of_day, x.as_of FROM run_ctx AS x
)
SELECT day.as_of_day, day.as_of, b.seq, COALESCE(SUM(c.n), 0),
       (SELECT COUNT(*)
          FROM report_run AS r
         CROSS JOIN run_ctx AS x
         WHERE r.as_of_day > x.as_of_day) AS n_later
  FROM day
 CROSS JOIN aging_bucket AS b
  LEFT JOIN day_count AS c
         ON c.as_of_day = day.as_of_day
        AND c.days_open >= b.lo_days
        AND (b.hi_days IS NULL OR c.days_open <= b.hi_days)
 GROUP BY day.as_of_day, day.as_of, b.seq
 ORDER BY day.as_of_day, b.seq;
