-- q_changes_listing.sql -- README "Changes since the previous report": the
-- `Changes` sheet of unclosed_calls_A.xlsx, columns in sheet order: Change
-- · Dispatch ID · Dispatched · Provider · Provider name · Previous bucket · Bucket · Days
-- open · Closed by · Source file · Source line · Source SHA-256 (the
-- file's, q_listing_views.sql says why). Newly unclosed calls first,
-- then the calls closed since, then those whose bucket moved; within each,
-- oldest first then by Dispatch ID, as the `Unclosed calls` listing (SPEC
-- §4). A dispatch has at most one row, so the order is total.
SELECT c.change,
       c.dispatch_id,
       c.dispatched_at,
       c.provider_id,
       n.dealer_name,
       c.previous_bucket,
       c.bucket,
       c.days_open,
       c.closed_by,
       c.file_name,
       c.line,
       (SELECT substr(f.sha256, 1, 12) FROM imported_file AS f
         WHERE f.file_id = c.file_id)
  FROM unclosed_change AS c
  LEFT JOIN dealer_name AS n ON n.dealer_id = c.provider_id
 ORDER BY c.change_rank, c.dispatched_at, c.dispatch_id;
