-- q_unclosed_listing.sql -- SPEC §4 `Unclosed calls`: "Dispatch ID ·
-- Dispatched · Days open · Aging bucket · Provider · Model · Serial number ·
-- Customer · Closeout attempts · Source file · Source line. Oldest first (by
-- dispatched_at), then by Dispatch ID." The columns (the provider's name
-- after its code, SPEC §4 "Dealer names") are TEMP unclosed_listing's
-- (q_listing_views.sql); --from never applies ("Unclosed calls are always
-- all open calls as of A"). (dispatched_at, dispatch_id) is unique: the
-- index unclosed_call_order.
SELECT l.*
  FROM unclosed_listing AS l
 ORDER BY l.dispatched_at, l.dispatch_id;
