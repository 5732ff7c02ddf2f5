-- q_audit_reg_exceptions.sql -- SPEC §4 `Registration exceptions`: "Dispatch
-- ID · Dispatched · Serial number · Provider · Exception · Detail (one row
-- per dispatch and exception)", the provider's name after its code, then the
-- dispatch's source file and line: TEMP exception_listing
-- (q_listing_views.sql), which applies --from. (dispatch_id, rank) is
-- unique.
SELECT l.*
  FROM exception_listing AS l
 ORDER BY l.dispatched_at, l.dispatch_id, l.rank;
