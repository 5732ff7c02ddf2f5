-- q_explain_registration_exceptions.sql -- `explain`: the registration
-- exceptions of one dispatch (r060's registration_exception, SPEC §3), in
-- the SPEC's listing order. Params: :dispatch_id.
SELECT e.rank,
       e.code,
       e.detail
  FROM registration_exception AS e
 WHERE e.dispatch_id = :dispatch_id
 ORDER BY e.rank;
