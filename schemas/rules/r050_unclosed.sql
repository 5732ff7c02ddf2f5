-- r050_unclosed.sql -- SPEC §3 "Unclosed calls": open dispatches as of A
-- with no accepted closeout as of A, aged into the configured buckets.
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
--   * "No accepted closeout as of A": the kept accepted closeout was
--     submitted after A, or there is none (r020 says why that is SPEC §3's
--     accepted closeout as of A).
--   * A view over one table (buckets and attempts as scalar subqueries), so
--     that `explain` reads one call by its key; a report copies it into a
--     table once (schemas/queries/report/report_tables.sql).
CREATE TEMP VIEW unclosed_call AS
SELECT d.dispatch_id,
       d.dispatched_at,
       d.dispatched_day,
       (SELECT x.as_of_day FROM run_ctx AS x) - d.dispatched_day AS days_open,
       (SELECT MIN(g.seq) FROM aging_bucket AS g
         WHERE (SELECT x.as_of_day FROM run_ctx AS x) - d.dispatched_day
               >= g.lo_days
           AND (g.hi_days IS NULL
                OR (SELECT x.as_of_day FROM run_ctx AS x) - d.dispatched_day
                   <= g.hi_days)) AS bucket_seq,
       (SELECT b.label FROM aging_bucket AS b
         WHERE b.seq = (SELECT MIN(g.seq) FROM aging_bucket AS g
                         WHERE (SELECT x.as_of_day FROM run_ctx AS x)
                               - d.dispatched_day >= g.lo_days
                           AND (g.hi_days IS NULL
                                OR (SELECT x.as_of_day FROM run_ctx AS x)
                                   - d.dispatched_day <= g.hi_days)))
           AS bucket_label,
       d.provider_id,
       d.model,
       d.serial_number,
       d.customer_name,
       d.customer_postal_code,
       d.problem_code,
       (SELECT COUNT(*) FROM cur_closeout AS c
         WHERE c.dispatch_id = d.dispatch_id
           AND c.submitted_day <= (SELECT x.as_of_day FROM run_ctx AS x))
           AS attempts,
       d.file_name,
       d.line
  FROM cur_dispatch AS d
 WHERE d.dispatched_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND d.status = 'OPEN'
   AND (d.accepted_closeout_id IS NULL
        OR d.accepted_day > (SELECT x.as_of_day FROM run_ctx AS x));
