-- x050_unclosed.sql -- SPEC §3 "Unclosed calls": open dispatches as of A (reference)
-- with no accepted closeout, aged into the configured buckets.
--
-- SPEC §1: "A dispatched call with no valid closeout is an **unclosed call**."
-- SPEC §3: "**Unclosed calls.** A dispatch whose current status is OPEN and
--   that has no accepted closeout. days_open = A − date(dispatched_at), in
--   days. Default aging buckets: 0–7, 8–14, 15–30, 31–60, 61–90, 91+
--   (configurable)." ... "Unclosed calls are always all open calls as of A."
-- SPEC §4 Unclosed calls: "Closeout attempts counts the current closeouts
--   naming the dispatch with submitted_at on or before A (all failed the
--   rules, since none was accepted)."
--
-- Decisions:
--   * Buckets come from TEMP aging_bucket (filled by the C code). A days_open
--     matched by several buckets takes the lowest seq; one matched by none
--     (a gap in a configured set) is still listed, with bucket_seq and
--     bucket_label NULL: a call is never dropped for a configuration error.
--   * attempts counts every current closeout (as of A) naming the dispatch,
--     whatever its dealer or reason; the --from filter never applies here.

CREATE TEMP TABLE unclosed_call AS
SELECT o.dispatch_id,
       o.dispatched_at,
       o.dispatched_day,
       o.days_open,
       b.seq   AS bucket_seq,
       b.label AS bucket_label,
       o.provider_id,
       o.model,
       o.serial_number,
       o.customer_name,
       o.customer_postal_code,
       o.problem_code,
       o.attempts,
       o.file_name,
       o.line
  FROM (SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day,
               x.as_of_day - d.dispatched_day AS days_open,
               d.provider_id, d.model, d.serial_number, d.customer_name,
               d.customer_postal_code, d.problem_code,
               (SELECT COUNT(*) FROM closeout_current AS c
                 WHERE c.dispatch_id = d.dispatch_id) AS attempts,
               d.file_name, d.line
          FROM dispatch_current AS d
         CROSS JOIN run_ctx AS x   -- one row: CROSS JOIN keeps it inner
         WHERE d.dispatched_day <= x.as_of_day
           AND d.status = 'OPEN'
           AND NOT EXISTS (SELECT 1 FROM closeout_accepted AS a
                            WHERE a.dispatch_id = d.dispatch_id)) AS o
  LEFT JOIN aging_bucket AS b
         ON b.seq = (SELECT MIN(g.seq) FROM aging_bucket AS g
                      WHERE o.days_open >= g.lo_days
                        AND (g.hi_days IS NULL OR o.days_open <= g.hi_days));
-- The listing's order (SPEC §4: oldest first, then by Dispatch ID).
CREATE UNIQUE INDEX unclosed_call_order
    ON unclosed_call (dispatched_at, dispatch_id);
