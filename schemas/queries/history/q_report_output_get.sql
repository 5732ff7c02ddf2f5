-- q_report_output_get.sql -- the recorded output of the report as of A.
SELECT stamp, result, sha256_unclosed, sha256_noncomp, sha256_audit
  FROM report_output WHERE as_of_day = :as_of_day;
