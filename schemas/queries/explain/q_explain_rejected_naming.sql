-- q_explain_rejected_naming.sql -- `explain DISPATCH_ID`: the rejected rows
-- of dispatches and closeouts files that name the dispatch (SPEC §2
-- "Rejected rows and files"; schema version 6 keeps the id as written,
-- trimmed, in rejected_row.dispatch_id, compared exactly as dispatch ids
-- are). A rejected row has no business date that parsed for sure, so the
-- as-of date does not filter them: each says when it was imported.
-- file_id: the row's file, whose audit workbook (the one that lists the
-- row under Rejected rows) q_explain_rejected_audit.sql names -- one
-- reckoning for this story and for `explain --source` (reports/explain.c,
-- ex_put_rejected_audit). The same on every schema version that keeps the
-- dispatch id (6 on).
-- Params: :dispatch_id.
SELECT f.name,
       j.line,
       f.path,
       f.kind,
       substr(f.sha256, 1, 12) AS sha12,
       f.imported_at,
       j.reason,
       f.file_id,
       j.raw
  FROM rejected_row AS j
  JOIN imported_file AS f ON f.file_id = j.file_id
 WHERE j.dispatch_id = :dispatch_id
 ORDER BY j.rejected_id;
