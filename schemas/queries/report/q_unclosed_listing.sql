-- q_unclosed_listing.sql -- SPEC §4 `Unclosed calls`: "Dispatch ID ·
-- Dispatched · Days open · Aging bucket · Provider · Model · Serial number ·
-- Customer · Closeout attempts · Source file · Source line. Oldest first (by
-- dispatched_at), then by Dispatch ID." Columns in sheet order, the provider's name after its
-- code (SPEC §4 "Dealer names", TEMP dealer_name of q_dealer_names.sql); --from never
-- applies ("Unclosed calls are always all open calls as of A").
-- (dispatched_at, dispatch_id) is unique: the index unclosed_call_order.
SELECT u.dispatch_id,
       u.dispatched_at,
       u.days_open,
       u.bucket_label,
       u.provider_id,
       n.dealer_name,
       u.model,
       u.serial_number,
       u.customer_name,
       u.attempts,
       u.file_name,
       u.line
  FROM unclosed_call AS u
  LEFT JOIN dealer_name AS n ON n.dealer_id = u.provider_id
 ORDER BY u.dispatched_at, u.dispatch_id;
