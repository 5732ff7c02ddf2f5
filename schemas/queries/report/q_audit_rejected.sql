-- q_audit_rejected.sql -- SPEC §4 `Rejected rows`: "File · Line · Reason ·
-- Raw record (line 0 for a whole file)". SPEC §2: a rejected row is "kept
-- verbatim in the database with file, line number and a reason"; a refused
-- file has no rows, its reason is imported_file.reason. Every file ever
-- imported, in import order, then by line: the nested loop over
-- imported_file (by file_id) and rejected_row_file (file_id, line, rowid)
-- delivers this order without a sort.
SELECT f.name,
       COALESCE(r.line, 0),
       CASE WHEN f.status = 'refused' THEN f.reason ELSE r.reason END,
       r.raw
  FROM imported_file AS f
  LEFT JOIN rejected_row AS r ON r.file_id = f.file_id
 WHERE f.status = 'refused' OR r.rejected_id IS NOT NULL
 ORDER BY f.file_id, r.line, r.rejected_id;
