-- q_explain_rejected_audit_v6.sql -- q_explain_rejected_audit.sql on a
-- database of schema version 5 or 6, which explain reads as it is (it only
-- reads): there is no delivery.night_as_of_day there
-- (007_delivery_night.sql), so the audit workbook is only the first
-- recorded report whose night took in the file by delivery order. The
-- same column; reports/explain.c picks it by the schema version (before
-- version 5, no delivery is kept and nothing is asked).
-- Params: :file_id.
SELECT (SELECT r.as_of
          FROM report_run AS r
         WHERE r.delivered_upto >= (SELECT MIN(v.delivery_id)
                                      FROM delivery AS v
                                     WHERE v.sha256 = f.sha256
                                       AND v.file_id = f.file_id)
         ORDER BY r.delivered_upto, r.as_of_day
         LIMIT 1) AS audit_as_of
  FROM imported_file AS f
 WHERE f.file_id = :file_id;
