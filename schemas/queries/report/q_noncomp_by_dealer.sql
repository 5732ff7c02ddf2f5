-- q_noncomp_by_dealer.sql -- SPEC §4 Summary of non-compensable service:
-- "totals ... by dealer with labor hours", with the split by primary reason.
-- One row per (dealer, reason); reports/rpt_noncomp.c folds them into one
-- sheet row per dealer. Most closeouts first, then dealer id (unique).
WITH g AS (
    SELECT n.dealer_id, n.reason,
           COUNT(*) AS n_closeouts,
           SUM(n.labor_hours) AS labor_hours
      FROM noncompensable AS n
     CROSS JOIN run_ctx AS x
     WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day
     GROUP BY n.dealer_id, n.reason
), t AS (
    SELECT g.dealer_id,
           SUM(g.n_closeouts) AS n_total,
           COALESCE(SUM(g.labor_hours), 0) AS hours_total
      FROM g
     GROUP BY g.dealer_id
)
SELECT t.dealer_id, n.dealer_name, t.n_total, t.hours_total, g.reason,
       g.n_closeouts
  FROM t
  JOIN g ON g.dealer_id = t.dealer_id
  LEFT JOIN dealer_name AS n ON n.dealer_id = t.dealer_id
 ORDER BY t.n_total DESC, t.dealer_id, g.reason;
