-- q_explain_rejected_naming.sql -- `explain DISPATCH_ID`: the rejected rows
-- of dispatches and closeouts files that name the dispatch (SPEC §2
-- "Rejected rows and files"; schema version 6 keeps the id as written,
-- trimmed, in rejected_row.dispatch_id, compared exactly as dispatch ids
-- are). A rejected row has no business date that parsed for sure, so the
-- as-of date does not filter them: each says when it was imported.
-- audit_as_of: the as-of date of the first recorded report whose night
-- (schemas/tables/005_delivery.sql) took in the file -- the audit workbook
-- that lists the row under Rejected rows; NULL when no report recorded
-- since its delivery (the next report's audit will). A file loaded by
-- `run --as-of A` (version 7: night_as_of_day) is in A's night, also when
-- A was an old night run again (q_night_files.sql): A's audit, once A is
-- recorded.
-- Params: :dispatch_id.
SELECT f.name,
       j.line,
       f.path,
       f.kind,
       substr(f.sha256, 1, 12) AS sha12,
       f.imported_at,
       j.reason,
       COALESCE(
       (SELECT r.as_of
          FROM delivery AS v
          JOIN report_run AS r ON r.as_of_day = v.night_as_of_day
         WHERE v.file_id = f.file_id AND v.status = 'loaded'),
       (SELECT r.as_of
          FROM report_run AS r
         WHERE r.delivered_upto >= (SELECT MIN(v.delivery_id)
                                      FROM delivery AS v
                                     WHERE v.sha256 = f.sha256
                                       AND v.file_id = f.file_id)
         ORDER BY r.delivered_upto, r.as_of_day
         LIMIT 1)) AS audit_as_of,
       j.raw
  FROM rejected_row AS j
  JOIN imported_file AS f ON f.file_id = j.file_id
 WHERE j.dispatch_id = :dispatch_id
 ORDER BY j.rejected_id;
