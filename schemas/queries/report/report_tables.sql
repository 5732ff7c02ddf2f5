-- report_tables.sql -- a report reads the unclosed calls (r050) and the
-- non-compensable closeouts (r040) many times over (listing, summaries,
-- statements, changes, the record): it copies each view into a TEMP table
-- once, in its listing's order, under the same name, so that every query
-- of schemas/queries/report/ and history/ reads a small table instead of
-- the rule state. (`explain` reads the views, for one call.) Run by
-- reports/report.c after the rules, on the report's connection.
CREATE TEMP TABLE unclosed_call_rows AS
SELECT u.*
  FROM unclosed_call AS u
 ORDER BY u.dispatched_at, u.dispatch_id;
DROP VIEW unclosed_call;
ALTER TABLE unclosed_call_rows RENAME TO unclosed_call;
-- The listing's order (SPEC §4: oldest first, then by Dispatch ID).
CREATE UNIQUE INDEX unclosed_call_order
    ON unclosed_call (dispatched_at, dispatch_id);

CREATE TEMP TABLE noncompensable_rows AS
SELECT n.*
  FROM noncompensable AS n
 ORDER BY n.submitted_at, n.dealer_id, n.dispatch_id, n.file_id, n.line,
          n.closeout_id;
DROP VIEW noncompensable;
ALTER TABLE noncompensable_rows RENAME TO noncompensable;
CREATE UNIQUE INDEX noncompensable_id ON noncompensable (closeout_id);
CREATE INDEX noncompensable_dealer ON noncompensable (dealer_id);
