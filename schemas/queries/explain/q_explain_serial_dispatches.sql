-- q_explain_serial_dispatches.sql -- `explain --source` on a registration
-- row: the dispatches (current versions, r020) of its serial, in order
-- dispatched. checked = the dispatch takes part as of A (SPEC §3: dated on
-- or before A), so r060 checked it; active = this registration is among
-- those r060 found active on the dispatch's day (dispatch_registration,
-- matched by registration_id); NULL when not checked.
-- Params: :registration_id.
SELECT d.dispatch_id,
       d.file_name,
       d.line,
       d.dispatched_at,
       substr(d.dispatched_at, 1, 10) AS dispatched_on,
       d.status,
       d.provider_id,
       d.model,
       d.serial_number,
       CASE WHEN d.dispatched_day > x.as_of_day THEN 0 ELSE 1 END AS checked,
       CASE WHEN d.dispatched_day > x.as_of_day THEN NULL
            WHEN EXISTS (SELECT 1 FROM dispatch_registration AS a
                          WHERE a.dispatch_id = d.dispatch_id
                            AND a.registration_id = r.registration_id)
                 THEN 1
            ELSE 0
       END AS active
  FROM registration AS r
  JOIN imported_file AS f ON f.file_id = r.file_id
  CROSS JOIN run_ctx AS x
  JOIN dispatch_current AS d ON d.serial_norm = r.serial_norm
 WHERE r.registration_id = :registration_id
 ORDER BY d.dispatched_at, d.dispatch_id;
