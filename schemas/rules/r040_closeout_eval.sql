-- r040_closeout_eval.sql -- SPEC §3: the accepted closeout of each dispatch
-- as of A, one evaluated row per closeout, and the non-compensable ones,
-- read from the kept state (r020 argues why it holds for any A).
--
-- SPEC §3: "7. `DUPLICATE_CLOSEOUT` — the closeout is valid, but another
--   valid closeout of the same dispatch was accepted.
--   A closeout with none of reasons 1–6 is **valid**. Per dispatch, the
--   **accepted** closeout is the valid one submitted first (ties: earlier
--   import, then earlier line); every other valid closeout of that dispatch
--   gets `DUPLICATE_CLOSEOUT`." ... "Every closeout with at least one reason
--   is **non-compensable service**."
-- SPEC §4 Non-compensable: "Reason is the primary code; All reasons joins
--   every code with `;`."

-- The accepted closeout as of A: the state's, when it was submitted on or
-- before A and the dispatch is dated on or before A; else none.
CREATE TEMP VIEW closeout_accepted AS
SELECT d.dispatch_id,
       d.accepted_closeout_id AS closeout_id
  FROM cur_dispatch AS d
 WHERE d.accepted_closeout_id IS NOT NULL
   AND d.accepted_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND d.dispatched_day <= (SELECT x.as_of_day FROM run_ctx AS x);

-- One row per current closeout (as of A): its columns and verdict. The
-- state's verdict, except for a closeout naming a dispatch dated after A:
-- NO_DISPATCH (with A in its detail), then its INCOMPLETE_SECTION2 if any,
-- never valid, never accepted (r030 lists the same reasons).
CREATE TEMP VIEW closeout_eval AS
SELECT c.closeout_id,
       c.file_id,
       c.file_name,
       c.line,
       c.dealer_id,
       c.dispatch_id,
       c.serial_number,
       c.model,
       c.submitted_at,
       c.submitted_day,
       c.completed_on,
       c.completed_day,
       c.technician,
       c.labor_hours,
       c.resolution_code,
       CASE WHEN c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
            THEN 'NO_DISPATCH' ELSE c.reason END AS reason,
       CASE WHEN c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
            THEN 'NO_DISPATCH'
                 || CASE WHEN c.incomplete_detail IS NULL THEN ''
                         ELSE ';INCOMPLETE_SECTION2' END
            ELSE c.all_reasons END AS all_reasons,
       CASE WHEN c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
            THEN 'dispatch ''' || c.dispatch_id || ''' dated '
                 || substr(c.dispatch_at, 1, 10) || ', after as-of '
                 || (SELECT x.as_of FROM run_ctx AS x)
                 || COALESCE('; ' || c.incomplete_detail, '')
            ELSE c.detail END AS detail,
       CASE WHEN c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
            THEN 0 ELSE c.is_valid END AS is_valid,
       CASE WHEN c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
            THEN 0 ELSE c.is_accepted END AS is_accepted
  FROM cur_closeout AS c
 WHERE c.submitted_day <= (SELECT x.as_of_day FROM run_ctx AS x);

-- SPEC §3: "Every closeout with at least one reason is non-compensable
-- service." All of them: the --from filter (submitted_day >= from_day) is
-- the listing query's, after the rules ran over everything up to A.
CREATE TEMP VIEW noncompensable AS
SELECT e.*
  FROM closeout_eval AS e
 WHERE e.reason IS NOT NULL;
