-- q_statement_exceptions.sql -- SPEC §4 "Dealer statements": the
-- `Registration exceptions` listing (TEMP exception_listing of
-- q_listing_views.sql, as q_audit_reg_exceptions.sql, its --from filter)
-- ordered by provider first, for reports/statements.c; dealer_key, the last
-- column, is the key it compares. Exceptions of a dealer that gets no
-- statement are stepped over there.
SELECT l.*
  FROM exception_listing AS l
 WHERE l.dealer_key <> ''
 ORDER BY l.dealer_key, l.dispatched_at, l.dispatch_id, l.rank;
