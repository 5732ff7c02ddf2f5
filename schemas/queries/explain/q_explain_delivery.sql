-- q_explain_delivery.sql -- `explain --source FILE:LINE` when no imported
-- file has that name or path: the latest delivery that had it (schema
-- version 5, 005_delivery.sql), so that a file the audit workbook lists
-- is never called unknown. An unreadable file has no imported file; a
-- skipped one (or refused bytes delivered again under another name) names
-- the imported file whose bytes it repeats.
-- Params: :file. At most one row.
SELECT v.status,
       v.reason,
       v.delivered_at,
       f.name,
       f.imported_at
  FROM delivery AS v
  LEFT JOIN imported_file AS f ON f.file_id = v.file_id
 WHERE v.name = :file
    OR v.path = :file
 ORDER BY v.delivery_id DESC
 LIMIT 1;
