-- q_about_buckets.sql -- the aging buckets as configured (--buckets; TEMP
-- aging_bucket of r010), for the About sheets: label, days open from, to
-- (NULL for the open last bucket). Reads no call: an About sheet is
-- written for every dealer statement.
SELECT b.seq, b.label, b.lo_days, b.hi_days
  FROM aging_bucket AS b
 ORDER BY b.seq;
