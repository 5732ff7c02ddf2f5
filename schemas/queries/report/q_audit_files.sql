-- q_audit_files.sql -- SPEC §4 `Run`: "per file of the night: File · Kind ·
-- SHA-256 · Rows read · Loaded · Rejected · Status", then the reason
-- (refused, unreadable; skipped: the earlier file with the same bytes and
-- when it was imported), size and path as given. In delivery order.
SELECT n.name,
       n.kind,
       n.sha256,
       n.rows_read,
       n.rows_loaded,
       n.rows_rejected,
       n.status,
       n.reason,
       n.size_bytes,
       n.path
  FROM night_file AS n
 ORDER BY n.delivery_id;
