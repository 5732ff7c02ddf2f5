-- touch_all.sql -- the rule state computed once for the whole history: an
-- upgrade in place to schema 4 (lib/db.c runs it after 004_rule_state.sql,
-- in the same transaction, then upkeep.sql). SPEC §2/§3: "“Current” means
-- the latest imported version": the highest file_id of each key, as
-- schemas/reference/x020_current.sql picks it. Every key is touched.
DELETE FROM cur_registration_exception;
DELETE FROM cur_closeout_reason;
DELETE FROM cur_closeout;
DELETE FROM cur_dispatch;
DELETE FROM cur_registration;
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
 WHERE r.file_id = (SELECT MAX(v.file_id)
                      FROM registration AS v
                     WHERE v.serial_norm = r.serial_norm
                       AND v.dealer_id = r.dealer_id
                       AND v.registered_day = r.registered_day);
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
 WHERE d.file_id = (SELECT MAX(v.file_id)
                      FROM dispatch AS v
                     WHERE v.dispatch_id = d.dispatch_id);
-- The current closeouts are listed, not copied: upkeep.sql writes each
-- with its verdict (touch_closeouts.sql says why).
INSERT INTO touched_closeout (closeout_id)
SELECT c.closeout_id
  FROM closeout AS c
 WHERE c.file_id = (SELECT MAX(v.file_id)
                      FROM closeout AS v
                     WHERE v.submitted_at = c.submitted_at
                       AND v.dealer_id = c.dealer_id
                       AND v.dispatch_id = c.dispatch_id);
INSERT INTO touched_dispatch (dispatch_row_id)
SELECT d.dispatch_row_id FROM cur_dispatch AS d;
INSERT INTO touched_exception (dispatch_row_id)
SELECT d.dispatch_row_id FROM cur_dispatch AS d;
