-- q_explain_rejected_naming_v6.sql -- q_explain_rejected_naming.sql for a
-- database of schema version 6, which explain reads without upgrading it
-- (it only reads): there is no delivery.night_as_of_day there
-- (007_delivery_night.sql), so audit_as_of is only the first recorded
-- report whose night took in the file by delivery order. The same columns;
-- reports/explain.c picks it by the schema version.
-- Params: :dispatch_id.
SELECT f.name,
       j.line,
       f.path,
       f.kind,
       substr(f.sha256, 1, 12) AS sha12,
       f.imported_at,
       j.reason,
       (SELECT r.as_of
          FROM report_run AS r
         WHERE r.delivered_upto >= (SELECT MIN(v.delivery_id)
                                      FROM delivery AS v
                                     WHERE v.sha256 = f.sha256
                                       AND v.file_id = f.file_id)
         ORDER BY r.delivered_upto, r.as_of_day
         LIMIT 1) AS audit_as_of,
       j.raw
  FROM rejected_row AS j
  JOIN imported_file AS f ON f.file_id = j.file_id
 WHERE j.dispatch_id = :dispatch_id
 ORDER BY j.rejected_id;
