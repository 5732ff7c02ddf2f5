-- q_explain_versions.sql -- `explain`: every imported version of one
-- dispatch, in import order, with its source file and line, when the file
-- was imported, and which version is current (SPEC §2 dispatches: "a
-- dispatch seen again in a later imported file is superseded by the later
-- version ... the earlier versions are kept as history"). "Current" is
-- r020's dispatch_current, not recomputed here. Params: :dispatch_id.
-- *_tag columns (last, qa19): the first twelve digits of the file's SHA-256
-- when another imported file has the same base name (an inbox delivering
-- "closeouts.csv" every night), else NULL: the text story shows it after
-- FILE:LINE so that an auditor can tell the deliveries apart, as the
-- workbooks' Source SHA-256 does.
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
       CASE WHEN c.dispatch_id IS NULL THEN 0 ELSE 1 END AS is_current,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = d.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS file_tag
  FROM dispatch AS d
  JOIN imported_file AS f ON f.file_id = d.file_id
  LEFT JOIN dispatch_current AS c ON c.dispatch_id = d.dispatch_id
                                 AND c.dispatch_row_id = d.dispatch_row_id
 WHERE d.dispatch_id = :dispatch_id
 ORDER BY d.file_id, d.dispatch_row_id;
