-- q_audit_warnings.sql -- the warnings about loaded files (unknown columns,
-- SPEC §2), for the `Run` sheet: in import order, then as recorded.
SELECT f.name, w.message
  FROM file_warning AS w
  JOIN imported_file AS f ON f.file_id = w.file_id
 ORDER BY w.file_id, w.rowid;
