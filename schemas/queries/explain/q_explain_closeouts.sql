-- q_explain_closeouts.sql -- `explain`: closeouts, every imported version,
-- either (:dispatch_id given) all those naming one dispatch, or
-- (:closeout_id given) that one row; the other parameter is NULL. Ordered
-- as SPEC §3 picks the accepted one: submitted first, then earlier import,
-- then earlier line.
-- state comes from the rule tables (r020-r040), never recomputed:
--   'accepted'         closeout_eval.is_accepted;
--   'non_compensable'  in closeout_eval with a reason (closeout_reason);
--   'superseded'       not current: a later import holds a version of its
--                      key (SPEC §2: dealer_id, dispatch_id, submitted_at),
--                      superseded_by names the current one, the key's
--                      version of the highest file_id (a key repeats in no
--                      file: the later one is rejected), read from the feed
--                      table by its key index, so the same on a database
--                      older than the kept state (explain recomputes
--                      there: no cur_closeout). Looked up among every
--                      version, not only those taking part as of A
--                      (closeout_current): a version submitted after A was
--                      replaced all the same, and an auditor wants to know
--                      by which row (fix67; it said "takes no part" and
--                      superseded_by null); after_as_of (last column) says
--                      the key was submitted after A;
--   'after_as_of'      the current version of a key submitted after A
--                      (SPEC §3), so it takes no part.
-- *_tag columns (last, qa19): the first twelve digits of the file's SHA-256
-- when another imported file has the same base name (an inbox delivering
-- "closeouts.csv" every night), else NULL: the text story shows it after
-- FILE:LINE so that an auditor can tell the deliveries apart, as the
-- workbooks' Source SHA-256 does.
SELECT c.closeout_id,
       f.name AS file_name,
       c.line,
       f.imported_at,
       c.dealer_id,
       c.dispatch_id,
       c.submitted_at,
       c.completed_on,
       c.serial_number,
       c.model,
       c.technician,
       c.labor_hours,
       c.resolution_code,
       c.parts,
       CASE WHEN e.closeout_id IS NOT NULL AND e.is_accepted = 1
                 THEN 'accepted'
            WHEN e.closeout_id IS NOT NULL THEN 'non_compensable'
            WHEN s.closeout_id IS NOT NULL THEN 'superseded'
            ELSE 'after_as_of'
       END AS state,
       e.reason,
       sf.name AS superseded_by_file,
       s.line AS superseded_by_line,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = c.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS file_tag,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = s.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS superseded_by_tag,
       CASE WHEN c.submitted_day > (SELECT x.as_of_day FROM run_ctx AS x)
            THEN 1 ELSE 0 END AS after_as_of
  FROM closeout AS c
  JOIN imported_file AS f ON f.file_id = c.file_id
  LEFT JOIN closeout_eval AS e ON e.closeout_id = c.closeout_id
  LEFT JOIN closeout AS s ON s.dispatch_id = c.dispatch_id
                          AND s.submitted_at = c.submitted_at
                          AND s.dealer_id = c.dealer_id
                          AND s.closeout_id <> c.closeout_id
                          AND s.file_id = (SELECT MAX(v.file_id)
                                             FROM closeout AS v
                                            WHERE v.dispatch_id = c.dispatch_id
                                              AND v.submitted_at = c.submitted_at
                                              AND v.dealer_id = c.dealer_id)
  LEFT JOIN imported_file AS sf ON sf.file_id = s.file_id
 WHERE c.dispatch_id = :dispatch_id
    OR c.closeout_id = :closeout_id
 ORDER BY c.submitted_at, c.file_id, c.line, c.closeout_id;
