-- touch_dispatches.sql -- SPEC §2 dispatches: "Key: dispatch_id. ... a
-- dispatch seen again in a later imported file is **superseded** by the
-- later version". The file :file_id was imported last: each of its rows
-- becomes the current version of its dispatch_id. A new version can change
-- what every closeout naming it gets (checks 1-5 read the dispatch), so
-- those closeouts (upkeep.sql takes every closeout of a touched dispatch),
-- the dispatch's accepted closeout and its registration exceptions (its
-- serial, model, provider or day may have changed) are computed again.
INSERT INTO cur_dispatch
    (dispatch_id, dispatch_row_id, file_id, line, dispatched_at,
     dispatched_day, model, model_norm, serial_number, serial_norm,
     provider_id, customer_name, customer_postal_code, problem_code, status,
     file_name)
SELECT d.dispatch_id, d.dispatch_row_id, d.file_id, d.line, d.dispatched_at,
       d.dispatched_day, d.model, d.model_norm, d.serial_number,
       d.serial_norm, d.provider_id, d.customer_name, d.customer_postal_code,
       d.problem_code, d.status, f.name
  FROM dispatch AS d
  JOIN imported_file AS f ON f.file_id = d.file_id
 WHERE d.file_id = :file_id
-- One statement per row, not a DELETE of the superseded versions and an
-- INSERT: a new dispatch_id is inserted, a known one gets the new version
-- in place (one probe of cur_dispatch_id each, not two). A file holds a
-- dispatch_id once (dispatch_key), so no row is written twice. The
-- accepted closeout is left as it was: upkeep.sql computes it again for
-- every dispatch of the file (touched_dispatch) and writes it where it
-- changed. INSERT ... ON CONFLICT: SQLite and PostgreSQL alike.
ON CONFLICT (dispatch_id) DO UPDATE
   SET dispatch_row_id = excluded.dispatch_row_id,
       file_id = excluded.file_id,
       line = excluded.line,
       dispatched_at = excluded.dispatched_at,
       dispatched_day = excluded.dispatched_day,
       model = excluded.model,
       model_norm = excluded.model_norm,
       serial_number = excluded.serial_number,
       serial_norm = excluded.serial_norm,
       provider_id = excluded.provider_id,
       customer_name = excluded.customer_name,
       customer_postal_code = excluded.customer_postal_code,
       problem_code = excluded.problem_code,
       status = excluded.status,
       file_name = excluded.file_name;
INSERT INTO touched_dispatch (dispatch_row_id)
SELECT d.dispatch_row_id FROM dispatch AS d WHERE d.file_id = :file_id;
INSERT INTO touched_exception (dispatch_row_id)
SELECT d.dispatch_row_id FROM dispatch AS d WHERE d.file_id = :file_id;
