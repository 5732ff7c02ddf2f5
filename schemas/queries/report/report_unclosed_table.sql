-- report_unclosed_table.sql -- a report reads the unclosed calls of r050
-- many times (listing, summaries, changes, the record): it copies the view
-- into a TEMP table once, in the listing's order, under the same name, so
-- every query of schemas/queries/report/ and history/ reads a table.
-- Run by reports/report.c after the rules, on the report's connection.
CREATE TEMP TABLE unclosed_call_rows AS
SELECT u.*
  FROM unclosed_call AS u
 ORDER BY u.dispatched_at, u.dispatch_id;
DROP VIEW unclosed_call;
ALTER TABLE unclosed_call_rows RENAME TO unclosed_call;
-- The listing's order (SPEC §4: oldest first, then by Dispatch ID).
CREATE UNIQUE INDEX unclosed_call_order
    ON unclosed_call (dispatched_at, dispatch_id);
