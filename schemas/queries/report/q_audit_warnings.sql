-- q_audit_warnings.sql -- the warnings about the files the night loaded
-- (unknown columns, SPEC §2), for the `Run` sheet: in delivery order, then
-- as recorded.
SELECT n.name, w.message
  FROM night_file AS n
  JOIN file_warning AS w ON w.file_id = n.file_id
 WHERE n.status = 'loaded'
 ORDER BY n.delivery_id, w.rowid;
