-- 003_report_output.sql -- schema version 3: what each recorded report was
-- made from, and the SHA-256 of its three workbooks, so that a re-run with
-- nothing new (a scheduler's retry, a second run the same night) can leave
-- the workbooks as they are instead of writing the same bytes again
-- (README "Re-runs"; issue 6: a re-run costs a small part of a full run).
--
-- `stamp` names everything the workbooks depend on: svcrecon's version and
-- schema, the as-of date, --from, the aging buckets, the imported files
-- (count and last file_id: files are only ever added), and the previous
-- report compared with (its as-of and its own stamp). `result` keeps the
-- counts of the run's summary (reports/report.c writes and reads it).
CREATE TABLE report_output (
    as_of_day       INTEGER PRIMARY KEY REFERENCES report_run (as_of_day),
    stamp           TEXT NOT NULL,
    result          TEXT NOT NULL,
    sha256_unclosed TEXT NOT NULL,
    sha256_noncomp  TEXT NOT NULL,
    sha256_audit    TEXT NOT NULL
);
