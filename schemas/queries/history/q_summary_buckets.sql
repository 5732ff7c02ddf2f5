-- q_summary_buckets.sql -- the run summary's unclosed calls per aging
-- bucket (app/batch.c): the calls the recorded report of :as_of_day
-- listed, by bucket (seq as in aging_bucket, 1 = the first). A bucket
-- with no call has no row; the summary writes 0 for it.
SELECT bucket_seq, COUNT(*) AS n_calls
  FROM report_unclosed
 WHERE as_of_day = :as_of_day AND bucket_seq IS NOT NULL
 GROUP BY bucket_seq
 ORDER BY bucket_seq;
