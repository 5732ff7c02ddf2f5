-- q_report_output_put.sql -- records the output of the report as of A
-- (after history_record.sql recorded its report_run row).
INSERT INTO report_output (as_of_day, stamp, result, sha256_unclosed,
                           sha256_noncomp, sha256_audit)
VALUES (:as_of_day, :stamp, :result, :sha_unclosed, :sha_noncomp,
        :sha_audit);
