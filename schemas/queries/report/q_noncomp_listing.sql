-- q_noncomp_listing.sql -- SPEC §4 `Non-compensable`: "Dealer · Dispatch ID ·
-- Serial number · Submitted · Completed · Labor hours · Reason · All reasons
-- · Detail · Source file · Source line", the dealer's name after its code
-- and New after them: TEMP noncomp_listing (q_listing_views.sql), which
-- applies --from. Ordered by submission, then the closeout key; closeout_id
-- last makes the order total whatever the data.
SELECT l.*
  FROM noncomp_listing AS l
 ORDER BY l.submitted_at, l.dealer_id, l.dispatch_id, l.file_id, l.line,
          l.closeout_id;
