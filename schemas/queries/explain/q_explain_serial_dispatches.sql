-- q_explain_serial_dispatches.sql -- `explain --source` on a registration
-- row: the dispatches (current versions, r020) of its serial, in order
-- dispatched. checked = the dispatch takes part as of A (SPEC §3: dated on
-- or before A), so r060 checked it; active = this registration is among
-- those r060 found active on the dispatch's day (dispatch_registration,
-- matched by registration_id); NULL when not checked.
-- Params: :registration_id.
-- A is read by scalar subqueries, not by joining run_ctx: PostgreSQL keeps
-- no statistics on a TEMP table (it is never analyzed), plans run_ctx as
-- 1,200 rows, and for that many it turns the EXISTS below into one hash of
-- every row of dispatch_registration (~0.9 s at 200k dispatches) instead of
-- a probe of the one dispatch (1 ms); SQLite runs both shapes alike.
-- *_tag columns (last, qa19): the first twelve digits of the file's SHA-256
-- when another imported file has the same base name (an inbox delivering
-- "closeouts.csv" every night), else NULL: the text story shows it after
-- FILE:LINE so that an auditor can tell the deliveries apart, as the
-- workbooks' Source SHA-256 does.
SELECT d.dispatch_id,
       d.file_name,
       d.line,
       d.dispatched_at,
       substr(d.dispatched_at, 1, 10) AS dispatched_on,
       d.status,
       d.provider_id,
       d.model,
       d.serial_number,
       CASE WHEN d.dispatched_day > (SELECT x.as_of_day FROM run_ctx AS x)
                 THEN 0 ELSE 1 END AS checked,
       CASE WHEN d.dispatched_day > (SELECT x.as_of_day FROM run_ctx AS x)
                 THEN NULL
            WHEN EXISTS (SELECT 1 FROM dispatch_registration AS a
                          WHERE a.dispatch_id = d.dispatch_id
                            AND a.registration_id = r.registration_id)
                 THEN 1
            ELSE 0
       END AS active,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = d.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS file_tag
  FROM registration AS r
  JOIN imported_file AS f ON f.file_id = r.file_id
  JOIN dispatch_current AS d ON d.serial_norm = r.serial_norm
 WHERE r.registration_id = :registration_id
 ORDER BY d.dispatched_at, d.dispatch_id;
