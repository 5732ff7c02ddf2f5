-- x030_closeout_rules.sql -- SPEC §3 "Closeout checks" 1–6: one row per (reference)
-- current closeout (as of A) and failed check; precedence is `rank`, never
-- row order. Check 7 (DUPLICATE_CLOSEOUT) needs the accepted closeout and is
-- added by r040.
--
-- SPEC §3: "For each closeout, the reasons that apply, in this order of
--   precedence (the first is its primary reason):
--   1. `NO_DISPATCH` — dispatch_id blank, unknown, or naming a dispatch after
--      A: service not dispatched by CITS.
--   2. `DISPATCH_CANCELLED` — the dispatch's current status is CANCELLED.
--   3. `PROVIDER_MISMATCH` — the closeout's dealer is not the dispatch's
--      provider_id.
--   4. `SERIAL_MISMATCH` — closeout serial (normalized, when given) differs
--      from the dispatch's.
--   5. `SERVICE_BEFORE_DISPATCH` — completed_on is before the dispatch's date.
--   6. `INCOMPLETE_SECTION2` — a Section 2 value other than dispatch_id is
--      blank (detail names which).
--   7. `DUPLICATE_CLOSEOUT` — ..."
-- "Checks 2–5 apply only when the dispatch exists. SERVICE_BEFORE_DISPATCH
--   compares completed_on with the date of dispatched_at (same day is fine)."
-- SPEC §2 closeouts: "labor_hours | Section 2 | decimal hours; 0 counts as
--   blank" ... "a blank value loads and makes the closeout incomplete".
--
-- Decisions (where the SPEC is silent):
--   * "the dispatch exists" = a current dispatch with that id dated on or
--     before A; one dated after A is "a dispatch after A" (check 1).
--   * A blank provider_id (no provider of record) matches no dealer: the
--     closeout gets PROVIDER_MISMATCH and the call stays unclosed. Paying for
--     a call dispatched to nobody would need a rule the SPEC does not give.
--   * A serial is "given" when its trimmed text is not '' (the same test as
--     blank in check 6); a given serial that normalizes to '' (e.g. '-') is
--     compared like any other and so mismatches.
--   * Check 6 applies with or without a dispatch: NO_DISPATCH and
--     INCOMPLETE_SECTION2 can both be listed.
--   * Details quote feed values as received (trimmed), not normalized.

-- Every current closeout with the current dispatch it names: one join,
-- materialized, that checks 1–5 then scan. dispatch_exists = 1 when that
-- dispatch takes part in the run (dated on or before A): the "dispatch
-- exists" of checks 2–5. The dispatch columns are NULL when no dispatch has
-- the id (a blank id never matches: dispatch_id is required in dispatches).
-- CROSS JOIN puts the one-row run_ctx inside the loop: without statistics
-- SQLite guesses every TEMP table large and might loop over it first.
CREATE TEMP TABLE closeout_with_dispatch AS
SELECT c.closeout_id,
       c.dealer_id,
       c.dispatch_id,
       c.serial_number   AS closeout_serial,
       c.serial_norm     AS closeout_serial_norm,
       c.completed_on,
       c.completed_day,
       CASE WHEN d.dispatched_day <= x.as_of_day THEN 1 ELSE 0 END
                         AS dispatch_exists,
       d.dispatched_at,
       d.dispatched_day,
       d.status,
       d.provider_id,
       d.serial_number   AS dispatch_serial,
       d.serial_norm     AS dispatch_serial_norm,
       d.file_name       AS dispatch_file_name,
       d.line            AS dispatch_line,
       COALESCE(substr(df.sha256, 1, 12), '') AS dispatch_file_sha,
       x.as_of
  FROM closeout_current AS c
  CROSS JOIN run_ctx AS x
  LEFT JOIN dispatch_current AS d ON d.dispatch_id = c.dispatch_id
  LEFT JOIN imported_file AS df ON df.file_id = d.file_id;

-- One row per closeout and reason; the primary key doubles as a self-check
-- (a rule that yielded a closeout twice would fail the run, not pass
-- silently) and as the index of every per-closeout lookup.
CREATE TEMP TABLE closeout_reason (
    closeout_id INTEGER NOT NULL,  -- closeout.closeout_id
    rank        INTEGER NOT NULL,  -- SPEC §3 precedence, 1 = primary
    code        TEXT NOT NULL,     -- NO_DISPATCH … DUPLICATE_CLOSEOUT
    detail      TEXT NOT NULL,     -- for a person: which values, which dates
    PRIMARY KEY (closeout_id, rank)
);

INSERT INTO closeout_reason (closeout_id, rank, code, detail)
-- 1. NO_DISPATCH: blank id, unknown id, or a dispatch dated after A.
SELECT k.closeout_id, 1, 'NO_DISPATCH',
       CASE WHEN k.dispatch_id = '' THEN 'no dispatch id given'
            WHEN k.dispatched_at IS NULL
                 THEN 'dispatch ''' || k.dispatch_id || ''' not found'
            ELSE 'dispatch ''' || k.dispatch_id || ''' dated '
                 || substr(k.dispatched_at, 1, 10) || ', after as-of '
                 || k.as_of
       END
  FROM closeout_with_dispatch AS k
 WHERE k.dispatch_exists = 0
UNION ALL
-- 2. DISPATCH_CANCELLED: the current version of the dispatch is CANCELLED,
-- named by FILE:LINE and its file's SHA-256 prefix (README "Which file a
-- row comes from": a name alone can be shared by nightly files).
SELECT k.closeout_id, 2, 'DISPATCH_CANCELLED',
       'dispatch ''' || k.dispatch_id || ''' is cancelled ('
       || k.dispatch_file_name || ':' || CAST(k.dispatch_line AS TEXT)
       || ', SHA-256 ' || k.dispatch_file_sha || ')'
  FROM closeout_with_dispatch AS k
 WHERE k.dispatch_exists = 1
   AND k.status = 'CANCELLED'
UNION ALL
-- 3. PROVIDER_MISMATCH: dealer ids compare exactly (SPEC §2).
SELECT k.closeout_id, 3, 'PROVIDER_MISMATCH',
       CASE WHEN k.provider_id = ''
            THEN 'dealer ''' || k.dealer_id
                 || ''' is not the provider (dispatch has none)'
            ELSE 'dealer ''' || k.dealer_id || ''' is not the provider '''
                 || k.provider_id || ''''
       END
  FROM closeout_with_dispatch AS k
 WHERE k.dispatch_exists = 1
   AND k.dealer_id <> k.provider_id
UNION ALL
-- 4. SERIAL_MISMATCH: normalized compare, only when the closeout gives one
--    (one that normalizes to '', e.g. '-', compares as '': README "Rules").
SELECT k.closeout_id, 4, 'SERIAL_MISMATCH',
       'serial ''' || k.closeout_serial || ''' differs from dispatch serial '''
       || k.dispatch_serial || ''''
  FROM closeout_with_dispatch AS k
 WHERE k.dispatch_exists = 1
   AND k.closeout_serial <> ''
   AND k.closeout_serial_norm <> k.dispatch_serial_norm
UNION ALL
-- 5. SERVICE_BEFORE_DISPATCH: day numbers, so the same day is fine.
SELECT k.closeout_id, 5, 'SERVICE_BEFORE_DISPATCH',
       'completed ' || k.completed_on || ' before dispatch '
       || substr(k.dispatched_at, 1, 10)
  FROM closeout_with_dispatch AS k
 WHERE k.dispatch_exists = 1
   AND k.completed_day < k.dispatched_day
UNION ALL
-- 6. INCOMPLETE_SECTION2: the blank Section 2 fields, in column order.
-- Each blank field adds ', name', and substr(…, 3) drops the first separator.
SELECT c.closeout_id, 6, 'INCOMPLETE_SECTION2',
       'blank: ' || substr(
           CASE WHEN c.serial_number = '' THEN ', serial_number' ELSE '' END
        || CASE WHEN c.completed_on IS NULL THEN ', completed_on' ELSE '' END
        || CASE WHEN c.technician = '' THEN ', technician' ELSE '' END
        || CASE WHEN c.labor_hours IS NULL OR c.labor_hours = 0
                THEN ', labor_hours' ELSE '' END
        || CASE WHEN c.resolution_code = '' THEN ', resolution_code'
                ELSE '' END, 3)
  FROM closeout_current AS c
 WHERE c.serial_number = ''
    OR c.completed_on IS NULL
    OR c.technician = ''
    OR c.labor_hours IS NULL OR c.labor_hours = 0
    OR c.resolution_code = '';
