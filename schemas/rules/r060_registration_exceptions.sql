-- r060_registration_exceptions.sql -- SPEC §3 "Registration exceptions": each
-- dispatch as of A checked against the registrations active on its day,
-- read from the kept state (cur_registration_exception, computed by
-- schemas/upkeep/upkeep.sql, which quotes the rule in full).
--
-- SPEC §2 registrations: "A registration is **active on day D** when
--   registered_on <= D and (removed_on is blank or D < removed_on)."
-- SPEC §3: "**Registration exceptions** (per dispatch, against the
--   registrations active on the dispatch's date) ... Every dispatch (current
--   version, cancelled ones included) dispatched on or before A is checked.
--   “Current” means the latest imported version: the as-of date filters by
--   business dates, not by when rows were imported."
--
-- The exceptions read the dispatch's current version and the current
-- registrations, never A: A only decides which dispatches are checked.

-- Every (dispatch as of A, registration of its serial active on its day)
-- pair: explain reads it for one dispatch ("active on the dispatch day").
CREATE TEMP VIEW dispatch_registration AS
SELECT d.dispatch_id,
       d.provider_id,
       d.model_norm      AS dispatch_model_norm,
       r.dealer_id,
       r.model,
       r.model_norm,
       r.wmp_selected,
       r.file_name,
       r.line,
       r.registration_id
  FROM cur_dispatch AS d
  JOIN cur_registration AS r ON r.serial_norm = d.serial_norm
                            AND r.registered_day <= d.dispatched_day
 WHERE d.dispatched_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND (r.removed_day IS NULL OR d.dispatched_day < r.removed_day);

-- One row per dispatch (as of A) and exception.
CREATE TEMP VIEW registration_exception AS
SELECT e.dispatch_id,
       e.dispatched_at,
       e.dispatched_day,
       e.serial_number,
       e.model,
       e.provider_id,
       e.status,
       e.rank,
       e.code,
       e.detail,
       e.file_name,
       e.line
  FROM cur_registration_exception AS e
 WHERE e.dispatched_day <= (SELECT x.as_of_day FROM run_ctx AS x);
