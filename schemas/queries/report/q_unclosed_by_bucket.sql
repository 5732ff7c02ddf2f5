-- q_unclosed_by_bucket.sql -- SPEC §4 Summary of unclosed calls: "totals by
-- aging bucket", every bucket listed, an empty one with 0.
SELECT b.seq,
       b.label,
       b.lo_days,
       b.hi_days,
       COALESCE(g.n_calls, 0) AS n_calls
  FROM aging_bucket AS b
  LEFT JOIN (SELECT u.bucket_seq, COUNT(*) AS n_calls
               FROM unclosed_call AS u
              GROUP BY u.bucket_seq) AS g ON g.bucket_seq = b.seq
 ORDER BY b.seq;
