-- q_unclosed_by_provider.sql -- SPEC §4 Summary of unclosed calls: "totals
-- by provider", with the split by aging bucket. One row per (provider,
-- bucket) that has calls; reports/summary.c folds them into one sheet row
-- per provider, with its name (q_dealer_names.sql). Most calls first, then provider id (unique), so the order
-- is total. A blank provider ('') is shown as "(none)" by the C code.
WITH g AS (
    SELECT u.provider_id, u.bucket_seq, COUNT(*) AS n_calls
      FROM unclosed_call AS u
     GROUP BY u.provider_id, u.bucket_seq
), t AS (
    SELECT g.provider_id, SUM(g.n_calls) AS n_total
      FROM g
     GROUP BY g.provider_id
)
SELECT t.provider_id, n.dealer_name, t.n_total, b.label, g.n_calls
  FROM t
  JOIN g ON g.provider_id = t.provider_id
  LEFT JOIN dealer_name AS n ON n.dealer_id = t.provider_id
  LEFT JOIN aging_bucket AS b ON b.seq = g.bucket_seq
 ORDER BY t.n_total DESC, t.provider_id, g.bucket_seq;
