-- q_statement_exceptions.sql -- SPEC §4 "Dealer statements": the
-- `Registration exceptions` listing (q_audit_reg_exceptions.sql: the same
-- columns, the same rows, its --from filter) ordered by provider first, for
-- reports/statements.c; the provider again last, as the key it compares.
-- Exceptions of a dealer that gets no statement are skipped there.
SELECT e.dispatch_id,
       e.dispatched_at,
       e.serial_number,
       e.provider_id,
       n.dealer_name,
       e.code,
       e.detail,
       e.file_name,
       e.line,
       e.provider_id AS dealer_key
  FROM registration_exception AS e
 CROSS JOIN run_ctx AS x
  LEFT JOIN dealer_name AS n ON n.dealer_id = e.provider_id
 WHERE e.provider_id <> ''
   AND (x.from_day IS NULL OR e.dispatched_day >= x.from_day)
 ORDER BY e.provider_id, e.dispatched_at, e.dispatch_id, e.rank;
