-- q_explain_versions.sql -- `explain`: every imported version of one
-- dispatch, in import order, with its source file and line, when the file
-- was imported, and which version is current (SPEC §2 dispatches: "a
-- dispatch seen again in a later imported file is superseded by the later
-- version ... the earlier versions are kept as history"). "Current" is
-- r020's dispatch_current, not recomputed here. Params: :dispatch_id.
SELECT d.dispatch_row_id,
       f.name AS file_name,
       d.line,
       f.imported_at,
       d.dispatched_at,
       d.status,
       d.provider_id,
       d.model,
       d.serial_number,
       d.customer_name,
       d.customer_postal_code,
       d.problem_code,
       CASE WHEN c.dispatch_id IS NULL THEN 0 ELSE 1 END AS is_current
  FROM dispatch AS d
  JOIN imported_file AS f ON f.file_id = d.file_id
  LEFT JOIN dispatch_current AS c ON c.dispatch_id = d.dispatch_id
                                 AND c.dispatch_row_id = d.dispatch_row_id
 WHERE d.dispatch_id = :dispatch_id
 ORDER BY d.file_id, d.dispatch_row_id;
