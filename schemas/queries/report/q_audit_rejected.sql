-- q_audit_rejected.sql -- SPEC §4 `Rejected rows`: "the rows and files
-- refused among the night's files: File · Line · Reason · Raw record (line 0
-- for a whole file)". SPEC §2: a rejected row is "kept verbatim in the
-- database with file, line number and a reason"; a file refused or that
-- could not be read is one line 0 with its reason. Only the rows of the
-- files the night loaded (a skipped file's rows were listed on the night
-- that loaded it). In delivery order, then by line: the nested loop over
-- night_file (by delivery_id) and rejected_row_file (file_id, line, rowid)
-- delivers this order without a sort.
SELECT n.name,
       COALESCE(r.line, 0),
       CASE WHEN n.status = 'loaded' THEN r.reason ELSE n.reason END,
       r.raw,
       substr(n.sha256, 1, 12)
  FROM night_file AS n
  LEFT JOIN rejected_row AS r
         ON n.status = 'loaded' AND r.file_id = n.file_id
 WHERE n.status IN ('refused', 'unreadable') OR r.rejected_id IS NOT NULL
 ORDER BY n.delivery_id, r.line, r.rejected_id;
