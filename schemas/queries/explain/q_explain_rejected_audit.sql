-- q_explain_rejected_audit.sql -- the audit workbook that lists a
-- rejected row under Rejected rows, for both stories that name one
-- (`explain --source FILE:LINE` on the row, and `explain DISPATCH_ID`
-- on the rejected rows naming the dispatch, which give the row's file_id:
-- q_explain_rejected_naming.sql), named by its as-of date -- the first
-- recorded report whose night (schemas/tables/005_delivery.sql,
-- 007_delivery_night.sql) took in the row's file; NULL when no report was
-- recorded since its delivery (the next report's audit will list it). A
-- file loaded by `run --as-of A` (version 7: night_as_of_day) is in A's
-- night, also when A was an old night run again (q_night_files.sql): A's
-- audit, once A is recorded. Read from schema version 7 on; versions 5
-- and 6 read q_explain_rejected_audit_v6.sql, older ones are not asked
-- (reports/explain.c: explain reads a database as it is).
-- Params: :file_id.
SELECT COALESCE(
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
         LIMIT 1)) AS audit_as_of
  FROM imported_file AS f
 WHERE f.file_id = :file_id;
