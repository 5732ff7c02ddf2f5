-- q_explain_recorded_bucket.sql -- `explain`: the aging bucket that the
-- report recorded as of A (report_unclosed, schema version 2) gave one
-- call, when that report listed it. explain computes the bucket with its
-- own --buckets (the default ones when none is given); a report made with
-- other --buckets named another bucket in its workbooks, and explain says
-- so beside its own (reports/explain.c put_standing). Params :as_of_day,
-- :dispatch_id. At most one row (report_unclosed_key); none when no
-- report as of A listed the call. bucket_label is NULL when no configured
-- bucket held it. days_open tells the two causes apart: the same days
-- and another label is other --buckets; other days is the call's
-- dispatch date changed by a later import (a re-dated version).
SELECT h.bucket_label,
       h.days_open
  FROM report_unclosed AS h
 WHERE h.as_of_day = :as_of_day
   AND h.dispatch_id = :dispatch_id;
