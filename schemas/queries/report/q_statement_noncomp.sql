-- q_statement_noncomp.sql -- SPEC §4 "Dealer statements": the
-- `Non-compensable` listing (TEMP noncomp_listing of q_listing_views.sql,
-- as q_noncomp_listing.sql, its --from filter) ordered by dealer first, for
-- reports/statements.c; it fills to_be_paid (each reason's remedy, from
-- code_meaning) and compares dealer_key, the last column.
SELECT l.*
  FROM noncomp_listing AS l
 ORDER BY l.dealer_key, l.submitted_at, l.dispatch_id, l.file_id, l.line,
          l.closeout_id;
