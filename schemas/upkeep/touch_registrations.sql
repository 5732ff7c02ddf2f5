-- touch_registrations.sql -- SPEC §2 registrations: "Key: (dealer_id,
-- normalized serial, registered_on); a later import of the same key
-- supersedes." The file :file_id was imported last, so each of its rows is
-- the current version of its key. Registration exceptions are computed
-- again for every dispatch of the serials whose registrations changed (a
-- registration added, ended, its WMP or model changed): the serial is part
-- of the key, so those are the serials of the file's rows.
INSERT INTO cur_registration
    (registration_id, file_id, line, dealer_id, dealer_name, model,
     model_norm, serial_number, serial_norm, registered_on, registered_day,
     wmp_selected, removed_on, removed_day, file_name)
SELECT r.registration_id, r.file_id, r.line, r.dealer_id, r.dealer_name,
       r.model, r.model_norm, r.serial_number, r.serial_norm,
       r.registered_on, r.registered_day, r.wmp_selected, r.removed_on,
       r.removed_day, f.name
  FROM registration AS r
  JOIN imported_file AS f ON f.file_id = r.file_id
 WHERE r.file_id = :file_id
-- A new key is inserted, a known one gets the new version in place (one
-- probe of cur_registration_key, not a DELETE's and then an INSERT's); a
-- file holds a key once (registration_key). SQLite and PostgreSQL alike.
ON CONFLICT (serial_norm, dealer_id, registered_day) DO UPDATE
   SET registration_id = excluded.registration_id,
       file_id = excluded.file_id,
       line = excluded.line,
       dealer_name = excluded.dealer_name,
       model = excluded.model,
       model_norm = excluded.model_norm,
       serial_number = excluded.serial_number,
       registered_on = excluded.registered_on,
       wmp_selected = excluded.wmp_selected,
       removed_on = excluded.removed_on,
       removed_day = excluded.removed_day,
       file_name = excluded.file_name;
INSERT INTO touched_exception (dispatch_row_id)
SELECT d.dispatch_row_id
  FROM cur_dispatch AS d
 WHERE d.serial_norm IN (SELECT r.serial_norm FROM registration AS r
                          WHERE r.file_id = :file_id);
