-- q_audit_files.sql -- SPEC §4 `Run`: "per imported file: File · Kind ·
-- SHA-256 · Rows read · Loaded · Rejected · Status", then the refusal
-- reason, size and path as given. Every file ever imported into the
-- database, in import order, so that a re-run and a killed-then-rerun night
-- give the same workbook. imported_at (the wall clock) is never shown.
SELECT f.name,
       f.kind,
       f.sha256,
       f.rows_read,
       f.rows_loaded,
       f.rows_rejected,
       f.status,
       f.reason,
       f.size_bytes,
       f.path
  FROM imported_file AS f
 ORDER BY f.file_id;
