-- x020_current.sql -- SPEC §2/§3: the current version of every key, as TEMP (reference)
-- tables with the indexes the rules and listings join on.
--
-- SPEC §2 dispatches: "Key: dispatch_id. Nightly logs overlap: a dispatch seen
--   again in a later imported file is **superseded** by the later version (a
--   call cancelled or reassigned), and the earlier versions are kept as
--   history."
-- SPEC §2 closeouts: "Key: (dealer_id, dispatch_id, submitted_at); a later
--   import of the same key supersedes."
-- SPEC §2 registrations: "Key: (dealer_id, normalized serial, registered_on);
--   a later import of the same key supersedes."
-- SPEC §3: "closeouts with submitted_at on or before A (end of day) take part;
--   only current versions count." ... "“Current” means the latest imported
--   version: the as-of date filters by business dates, not by when rows were
--   imported."
--
-- "Latest imported" is the highest file_id (import order). Each current row
-- is found by one seek on the key index of 001_tables.sql, which ends with
-- file_id, so MAX(file_id) is read from the index, never by a scan.
-- Materialized once per run: every later rule and listing reads these.
-- ORDER BY clusters each table on the key the rules walk it by
-- (dispatch_id; serial): rows are then read in page order instead of
-- jumping across the file. No rule depends on it.
--
-- Decision: the as-of date never picks an older version. A dispatch whose
-- current version is dated after A does not take part, even if an earlier
-- import dated it on or before A (the later import corrected it); a closeout
-- naming it gets NO_DISPATCH (r030). dispatch_current itself is not filtered
-- by A: the rules filter on dispatched_day.

-- The current version of every dispatch_id, with its source file's name.
CREATE TEMP TABLE dispatch_current AS
SELECT d.*, f.name AS file_name
  FROM dispatch AS d
  JOIN imported_file AS f ON f.file_id = d.file_id
 WHERE d.file_id = (SELECT MAX(v.file_id)
                      FROM dispatch AS v
                     WHERE v.dispatch_id = d.dispatch_id)
 ORDER BY d.dispatch_id;
CREATE UNIQUE INDEX dispatch_current_id ON dispatch_current (dispatch_id);

-- The current version of every closeout key submitted on or before A. The
-- key includes submitted_at, so all versions of a key fall on the same side
-- of A and filtering before or after picking the version is the same.
CREATE TEMP TABLE closeout_current AS
SELECT c.*, f.name AS file_name
  FROM closeout AS c
 CROSS JOIN run_ctx AS x   -- one row: CROSS JOIN keeps it the inner loop
  JOIN imported_file AS f ON f.file_id = c.file_id
 WHERE c.submitted_day <= x.as_of_day
   AND c.file_id = (SELECT MAX(v.file_id)
                      FROM closeout AS v
                     WHERE v.submitted_at = c.submitted_at
                       AND v.dealer_id = c.dealer_id
                       AND v.dispatch_id = c.dispatch_id)
 ORDER BY c.dispatch_id;
CREATE UNIQUE INDEX closeout_current_id ON closeout_current (closeout_id);
-- Per dispatch in acceptance order (SPEC §3: first submitted, then earlier
-- import, then earlier line), covering for the pick of the accepted
-- closeout (r040) and the attempts count (r050).
CREATE INDEX closeout_current_dispatch
    ON closeout_current (dispatch_id, submitted_at, file_id, line,
                         closeout_id);

-- The current version of every registration key. Not filtered by A: a
-- registration is checked against each dispatch's own day (r060).
CREATE TEMP TABLE registration_current AS
SELECT r.*, f.name AS file_name
  FROM registration AS r
  JOIN imported_file AS f ON f.file_id = r.file_id
 WHERE r.file_id = (SELECT MAX(v.file_id)
                      FROM registration AS v
                     WHERE v.serial_norm = r.serial_norm
                       AND v.dealer_id = r.dealer_id
                       AND v.registered_day = r.registered_day)
 ORDER BY r.serial_norm, r.registered_day;
-- Covering for the active-registration join of r060 (serial, day range,
-- then the columns it tests), so that join never reads the table.
CREATE INDEX registration_current_serial
    ON registration_current (serial_norm, registered_day, removed_day,
                             dealer_id, wmp_selected, model_norm);
