-- q_explain_source.sql -- `explain --source FILE:LINE`: the imported files
-- FILE names (the base name as stored, or the path as imported; several when
-- one name was imported more than once) and, in each, the row that starts at
-- physical line LINE, if any. A file refused whole has no rows: its reason
-- is imported_file.reason, "line 0" as in the audit workbook.
-- Params: :file, :line. One row per file (a line holds at most one record:
-- loaded or rejected); `what` is NULL when no row starts there.
SELECT f.file_id,
       f.name,
       f.path,
       f.kind,
       f.status,
       f.reason,
       f.sha256,
       f.size_bytes,
       f.rows_read,
       f.rows_loaded,
       f.rows_rejected,
       f.imported_at,
       r.what,          -- 'dispatch', 'closeout', 'registration', 'rejected'
       r.row_id,        -- the row's primary key in its table
       r.dispatch_id,   -- dispatch and closeout rows: the id they name
       -- the imported files of this base name: more than one, and each
       -- result says which file it is by its SHA-256's first digits (qa81)
       (SELECT COUNT(*) FROM imported_file AS m
         WHERE m.name = f.name) AS name_files
  FROM imported_file AS f
  LEFT JOIN (SELECT 'dispatch' AS what, d.file_id, d.dispatch_row_id AS row_id,
                    d.dispatch_id
               FROM dispatch AS d
              WHERE d.line = :line
                AND d.file_id IN (SELECT n.file_id FROM imported_file AS n
                                    WHERE n.name = :file OR n.path = :file)
             UNION ALL
             SELECT 'closeout', c.file_id, c.closeout_id, c.dispatch_id
               FROM closeout AS c
              WHERE c.line = :line
                AND c.file_id IN (SELECT n.file_id FROM imported_file AS n
                                    WHERE n.name = :file OR n.path = :file)
             UNION ALL
             SELECT 'registration', g.file_id, g.registration_id, NULL
               FROM registration AS g
              WHERE g.line = :line
                AND g.file_id IN (SELECT n.file_id FROM imported_file AS n
                                    WHERE n.name = :file OR n.path = :file)
             UNION ALL
             SELECT 'rejected', j.file_id, j.rejected_id, NULL
               FROM rejected_row AS j
              WHERE j.line = :line
                AND j.file_id IN (SELECT n.file_id FROM imported_file AS n
                                    WHERE n.name = :file OR n.path = :file)) AS r ON r.file_id = f.file_id
 WHERE f.name = :file
    OR f.path = :file
 ORDER BY f.file_id, r.what, r.row_id;
