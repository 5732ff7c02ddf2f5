-- q_explain_registrations.sql -- `explain`: registrations, every imported
-- version, with their source file and line. Either (:dispatch_id given) all
-- those of the serial of the dispatch's current version, each marked active
-- or not on the dispatch's day, or (:registration_id given) that one row;
-- the other parameter is NULL.
--   is_current / superseded_by: r020's registration_current (SPEC §2 key:
--     dealer_id, normalized serial, registered_on; a later import
--     supersedes);
--   active: whether r060's dispatch_registration (the registrations "active
--     on the dispatch's date" that SPEC §3's exceptions are checked
--     against) holds this row; NULL when the dispatch was not checked
--     (dated after A) or no dispatch was asked about; matched by
--     registration_id.
-- A is read by a scalar subquery, not by joining run_ctx: see
-- q_explain_serial_dispatches.sql (PostgreSQL, no statistics on TEMP
-- tables: a hash of all of dispatch_registration, ~1 s at 200k, instead of
-- one probe).
-- Ordered as things happened: registered_on, then dealer, then import.
-- *_tag columns (last, qa19): the first twelve digits of the file's SHA-256
-- when another imported file has the same base name (an inbox delivering
-- "closeouts.csv" every night), else NULL: the text story shows it after
-- FILE:LINE so that an auditor can tell the deliveries apart, as the
-- workbooks' Source SHA-256 does.
SELECT r.registration_id,
       f.name AS file_name,
       r.line,
       f.imported_at,
       r.dealer_id,
       r.dealer_name,
       r.model,
       r.serial_number,
       r.registered_on,
       r.removed_on,
       r.wmp_selected,
       CASE WHEN c.registration_id IS NULL THEN 0 ELSE 1 END AS is_current,
       s.file_name AS superseded_by_file,
       s.line AS superseded_by_line,
       CASE WHEN d.dispatch_id IS NULL
                 OR d.dispatched_day > (SELECT x.as_of_day FROM run_ctx AS x)
                 THEN NULL
            WHEN EXISTS (SELECT 1 FROM dispatch_registration AS a
                          WHERE a.dispatch_id = d.dispatch_id
                            AND a.registration_id = r.registration_id)
                 THEN 1
            ELSE 0
       END AS active,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = r.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS file_tag,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = s.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS superseded_by_tag
  FROM registration AS r
  JOIN imported_file AS f ON f.file_id = r.file_id
  LEFT JOIN dispatch_current AS d ON d.dispatch_id = :dispatch_id
  LEFT JOIN registration_current AS c
         ON c.serial_norm = r.serial_norm
        AND c.registered_day = r.registered_day
        AND c.registration_id = r.registration_id
  LEFT JOIN registration_current AS s
         ON s.serial_norm = r.serial_norm
        AND s.registered_day = r.registered_day
        AND s.dealer_id = r.dealer_id
        AND s.registration_id <> r.registration_id
 WHERE r.serial_norm = (SELECT v.serial_norm FROM dispatch_current AS v
                         WHERE v.dispatch_id = :dispatch_id)
    OR r.registration_id = :registration_id
 ORDER BY r.registered_day, r.dealer_id, r.file_id, r.line,
          r.registration_id;
