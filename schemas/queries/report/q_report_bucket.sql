-- q_report_bucket.sql -- SPEC §3 "Default aging buckets: 0–7, 8–14, 15–30,
-- 31–60, 61–90, 91+ (configurable)": one TEMP aging_bucket row (r010), bound
-- by reports/report.c from --buckets; hi_days NULL for the open last bucket.
INSERT INTO aging_bucket (seq, lo_days, hi_days, label)
VALUES (:seq, :lo_days, :hi_days, :label);
