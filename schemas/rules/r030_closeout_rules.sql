-- r030_closeout_rules.sql -- SPEC §3 "Closeout checks" 1–7 as of A: one row
-- per current closeout (as of A) and reason; precedence is `rank`, never
-- row order. Read from the kept state (cur_closeout_reason, computed with
-- every dispatch taking part by schemas/upkeep/upkeep.sql); r020 argues
-- why only a dispatch dated after A changes anything.
--
-- SPEC §3: "For each closeout, the reasons that apply, in this order of
--   precedence (the first is its primary reason):
--   1. `NO_DISPATCH` — dispatch_id blank, unknown, or naming a dispatch after
--      A: service not dispatched by CITS. ...
--   6. `INCOMPLETE_SECTION2` — a Section 2 value other than dispatch_id is
--      blank (detail names which).
--   7. `DUPLICATE_CLOSEOUT` — ..."
-- "Checks 2–5 apply only when the dispatch exists."
--
-- Decision (as schemas/reference/x030): "the dispatch exists" = a current
-- dispatch with that id dated on or before A; one dated after A is "a
-- dispatch after A" (check 1), and such a closeout keeps only its check 6.
CREATE TEMP VIEW closeout_reason AS
-- The state's reasons, for closeouts whose dispatch takes part (or that
-- name none): the same as of A.
SELECT r.closeout_id, r.rank, r.code, r.detail
  FROM cur_closeout AS c
  JOIN cur_closeout_reason AS r ON r.closeout_id = c.closeout_id
 WHERE c.submitted_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND (c.dispatch_day IS NULL
        OR c.dispatch_day <= (SELECT x.as_of_day FROM run_ctx AS x))
UNION ALL
-- 1. NO_DISPATCH: naming a dispatch dated after A.
SELECT c.closeout_id, 1, 'NO_DISPATCH',
       'dispatch ''' || c.dispatch_id || ''' dated '
       || substr(c.dispatch_at, 1, 10) || ', after as-of '
       || (SELECT x.as_of FROM run_ctx AS x)
  FROM cur_closeout AS c
 WHERE c.submitted_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
UNION ALL
-- 6. INCOMPLETE_SECTION2 of those, unchanged.
SELECT c.closeout_id, 6, 'INCOMPLETE_SECTION2', c.incomplete_detail
  FROM cur_closeout AS c
 WHERE c.submitted_day <= (SELECT x.as_of_day FROM run_ctx AS x)
   AND c.dispatch_day > (SELECT x.as_of_day FROM run_ctx AS x)
   AND c.incomplete_detail IS NOT NULL;
