-- q_noncomp_by_reason.sql -- SPEC §4 Summary of non-compensable service:
-- "totals by reason ... with labor hours", by primary reason so that the
-- totals add up to the listing; every code of SPEC §3 is listed (0 when
-- none), in precedence order, then any code the rules may add later.
-- Same --from filter as q_noncomp_listing.sql.
WITH code (rank, code, meaning) AS (
    VALUES (1, 'NO_DISPATCH',
               'not dispatched by CITS: dispatch ID blank, unknown or '
               || 'after the as-of date'),
           (2, 'DISPATCH_CANCELLED', 'the dispatch is cancelled'),
           (3, 'PROVIDER_MISMATCH', 'dealer is not the dispatch''s provider'),
           (4, 'SERIAL_MISMATCH', 'serial differs from the dispatch''s'),
           (5, 'SERVICE_BEFORE_DISPATCH', 'completed before the dispatch date'),
           (6, 'INCOMPLETE_SECTION2', 'a Section 2 value is blank'),
           (7, 'DUPLICATE_CLOSEOUT',
               'another valid closeout of the dispatch was accepted')
), g AS (
    SELECT n.reason,
           COUNT(*) AS n_closeouts,
           SUM(n.labor_hours) AS labor_hours
      FROM noncompensable AS n
     CROSS JOIN run_ctx AS x
     WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day
     GROUP BY n.reason
)
SELECT c.rank, c.code, c.meaning,
       COALESCE(g.n_closeouts, 0), COALESCE(g.labor_hours, 0)
  FROM code AS c
  LEFT JOIN g ON g.reason = c.code
UNION ALL
SELECT 99, g.reason, '', g.n_closeouts, COALESCE(g.labor_hours, 0)
  FROM g
 WHERE g.reason NOT IN (SELECT code FROM code)
 ORDER BY 1, 2;
