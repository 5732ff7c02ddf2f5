-- q_statement_unclosed.sql -- SPEC §4 "Dealer statements": the `Unclosed
-- calls` listing (TEMP unclosed_listing of q_listing_views.sql, as
-- q_unclosed_listing.sql) ordered by provider first, for
-- reports/statements.c to cut into one statement per dealer in one pass; a
-- blank provider is no dealer. dealer_key, the last column, is the key the
-- C code compares.
SELECT l.*
  FROM unclosed_listing AS l
 WHERE l.dealer_key <> ''
 ORDER BY l.dealer_key, l.dispatched_at, l.dispatch_id;
