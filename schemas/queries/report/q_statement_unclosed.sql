-- q_statement_unclosed.sql -- SPEC §4 "Dealer statements": the `Unclosed
-- calls` listing (q_unclosed_listing.sql: the same columns, the same rows)
-- ordered by provider first, for reports/statements.c to cut into one
-- statement per dealer in one pass. The provider comes again last, as the
-- key the C code compares (it writes only the listing's columns).
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
       u.line,
       u.provider_id AS dealer_key
  FROM unclosed_call AS u
  LEFT JOIN dealer_name AS n ON n.dealer_id = u.provider_id
 WHERE u.provider_id <> ''
 ORDER BY u.provider_id, u.dispatched_at, u.dispatch_id;
