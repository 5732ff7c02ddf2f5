-- q_audit_reg_exceptions.sql -- SPEC §4 `Registration exceptions`: "Dispatch
-- ID · Dispatched · Serial number · Provider · Exception · Detail (one row
-- per dispatch and exception)", then the dispatch's source file and line;
-- the provider's name follows its code (SPEC §4 "Dealer names").
-- SPEC §3: `--from D` keeps the "registration exceptions of dispatches dated
-- on or after D". (dispatch_id, rank) is unique.
SELECT e.dispatch_id,
       e.dispatched_at,
       e.serial_number,
       e.provider_id,
       n.dealer_name,
       e.code,
       e.detail,
       e.file_name,
       e.line
  FROM registration_exception AS e
 CROSS JOIN run_ctx AS x
  LEFT JOIN dealer_name AS n ON n.dealer_id = e.provider_id
 WHERE x.from_day IS NULL OR e.dispatched_day >= x.from_day
 ORDER BY e.dispatched_at, e.dispatch_id, e.rank;
