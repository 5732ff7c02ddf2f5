-- q_noncomp_by_reason.sql -- SPEC §4 Summary of non-compensable service:
-- "totals by reason ... with labor hours", by primary reason so that the
-- totals add up to the listing; every code of SPEC §3 is listed (0 when
-- none), in precedence order, then any code the rules may add later. The
-- codes and meanings are TEMP code_meaning's (q_code_meanings.sql).
-- Same --from filter as q_noncomp_listing.sql.
WITH g AS (
    SELECT n.reason,
           COUNT(*) AS n_closeouts,
           SUM(n.labor_hours) AS labor_hours
      FROM noncompensable AS n
     CROSS JOIN run_ctx AS x
     WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day
     GROUP BY n.reason
)
SELECT c.seq, c.code, c.meaning,
       COALESCE(g.n_closeouts, 0), COALESCE(g.labor_hours, 0)
  FROM code_meaning AS c
  LEFT JOIN g ON g.reason = c.code
 WHERE c.family = 'reason'
UNION ALL
SELECT 99, g.reason, '', g.n_closeouts, COALESCE(g.labor_hours, 0)
  FROM g
 WHERE g.reason NOT IN (SELECT code FROM code_meaning
                         WHERE family = 'reason')
 ORDER BY 1, 2;
