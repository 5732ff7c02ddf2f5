-- upkeep.sql -- SPEC §3 for the keys one load touched: the rule state of
-- 004_rule_state.sql brought up to date, set-based, in the file's own
-- transaction (etl/load.c runs u000_touched.sql, the touch_*.sql of the
-- file's kind, then this). The lists of touched keys are TEMP tables:
-- touched_closeout (checks 1-6 again), touched_dispatch (accepted closeout
-- and check 7 again), touched_exception (registration exceptions again).
--
-- The state is SPEC §3 with every dispatch and closeout taking part (no
-- as-of date): schemas/rules/r020_current.sql says why the as-of views can
-- read it for any A. The statements below state the same rules as
-- schemas/reference/x030… x060 (the full recomputation kept as the
-- reference), restricted to the touched keys:
--
-- SPEC §3 "Closeout checks": "1. `NO_DISPATCH` — dispatch_id blank,
--   unknown, or naming a dispatch after A ... 2. `DISPATCH_CANCELLED` ...
--   3. `PROVIDER_MISMATCH` ... 4. `SERIAL_MISMATCH` ... 5.
--   `SERVICE_BEFORE_DISPATCH` ... 6. `INCOMPLETE_SECTION2` ... 7.
--   `DUPLICATE_CLOSEOUT` — the closeout is valid, but another valid
--   closeout of the same dispatch was accepted." "Per dispatch, the
--   **accepted** closeout is the valid one submitted first (ties: earlier
--   import, then earlier line)". "Checks 2–5 apply only when the dispatch
--   exists."
-- SPEC §3 "Registration exceptions (per dispatch, against the
--   registrations active on the dispatch's date)": NO_REGISTRATION,
--   NOT_PROVIDER_OF_RECORD, WMP_SELECTED, MODEL_MISMATCH,
--   OVERLAPPING_REGISTRATION (x060 quotes them in full).
--
-- Decisions are those of the reference files (x030: a blank provider
-- matches no dealer, a given serial that normalizes to '' mismatches,
-- check 6 with or without a dispatch; x060: lists sorted and quoted).

-- Every statement starts from a touched list, never from a scan of the
-- state: a night costs what it touches. CROSS JOIN tells SQLite (which has
-- no statistics on the TEMP lists) to loop over the list first; PostgreSQL
-- reads it as a plain join.

-- ---- the closeouts whose verdict is written again ----------------------------
INSERT INTO touched_eval (closeout_id)
SELECT t.closeout_id FROM touched_closeout AS t
UNION
SELECT c.closeout_id
  FROM touched_dispatch AS t
 CROSS JOIN cur_dispatch AS d
 CROSS JOIN cur_closeout AS c
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND c.dispatch_id = d.dispatch_id;

DELETE FROM cur_closeout_reason
 WHERE closeout_id IN (SELECT t.closeout_id FROM touched_closeout AS t);
DELETE FROM cur_closeout_reason
 WHERE rank = 7
   AND closeout_id IN (SELECT t.closeout_id FROM touched_eval AS t);

-- ---- checks 1-6 -----------------------------------------------------------------
-- Each touched closeout with the current dispatch it names (NULL columns:
-- blank or unknown id). Every dispatch takes part, so "the dispatch
-- exists" is "a current dispatch has the id".
DROP TABLE IF EXISTS upkeep_closeout;
CREATE TEMP TABLE upkeep_closeout AS
SELECT c.closeout_id,
       c.dealer_id,
       c.dispatch_id,
       c.serial_number   AS closeout_serial,
       c.serial_norm     AS closeout_serial_norm,
       c.completed_on,
       c.completed_day,
       c.technician,
       c.labor_hours,
       c.resolution_code,
       CASE WHEN d.dispatch_id IS NULL THEN 0 ELSE 1 END AS dispatch_exists,
       d.dispatched_at,
       d.dispatched_day,
       d.status,
       d.provider_id,
       d.serial_number   AS dispatch_serial,
       d.serial_norm     AS dispatch_serial_norm,
       d.file_name       AS dispatch_file_name,
       d.line            AS dispatch_line
  FROM touched_closeout AS t
 CROSS JOIN cur_closeout AS c
  LEFT JOIN cur_dispatch AS d ON d.dispatch_id = c.dispatch_id
 WHERE c.closeout_id = t.closeout_id;

INSERT INTO cur_closeout_reason (closeout_id, rank, code, detail)
-- 1. NO_DISPATCH: blank or unknown id (a dispatch dated after A is the
-- as-of views' to add: schemas/rules/r030_closeout_rules.sql).
SELECT k.closeout_id, 1, 'NO_DISPATCH',
       CASE WHEN k.dispatch_id = '' THEN 'no dispatch id given'
            ELSE 'dispatch ''' || k.dispatch_id || ''' not found'
       END
  FROM upkeep_closeout AS k
 WHERE k.dispatch_exists = 0
UNION ALL
-- 2. DISPATCH_CANCELLED: the current version of the dispatch is CANCELLED.
SELECT k.closeout_id, 2, 'DISPATCH_CANCELLED',
       'dispatch ''' || k.dispatch_id || ''' is cancelled ('
       || k.dispatch_file_name || ':' || CAST(k.dispatch_line AS TEXT) || ')'
  FROM upkeep_closeout AS k
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
  FROM upkeep_closeout AS k
 WHERE k.dispatch_exists = 1
   AND k.dealer_id <> k.provider_id
UNION ALL
-- 4. SERIAL_MISMATCH: normalized compare, only when the closeout gives one.
SELECT k.closeout_id, 4, 'SERIAL_MISMATCH',
       'serial ''' || k.closeout_serial || ''' differs from dispatch serial '''
       || k.dispatch_serial || ''''
  FROM upkeep_closeout AS k
 WHERE k.dispatch_exists = 1
   AND k.closeout_serial <> ''
   AND k.closeout_serial_norm <> k.dispatch_serial_norm
UNION ALL
-- 5. SERVICE_BEFORE_DISPATCH: day numbers, so the same day is fine.
SELECT k.closeout_id, 5, 'SERVICE_BEFORE_DISPATCH',
       'completed ' || k.completed_on || ' before dispatch '
       || substr(k.dispatched_at, 1, 10)
  FROM upkeep_closeout AS k
 WHERE k.dispatch_exists = 1
   AND k.completed_day < k.dispatched_day
UNION ALL
-- 6. INCOMPLETE_SECTION2: the blank Section 2 fields, in column order.
SELECT k.closeout_id, 6, 'INCOMPLETE_SECTION2',
       'blank: ' || substr(
           CASE WHEN k.closeout_serial = '' THEN ', serial_number' ELSE '' END
        || CASE WHEN k.completed_on IS NULL THEN ', completed_on' ELSE '' END
        || CASE WHEN k.technician = '' THEN ', technician' ELSE '' END
        || CASE WHEN k.labor_hours IS NULL OR k.labor_hours = 0
                THEN ', labor_hours' ELSE '' END
        || CASE WHEN k.resolution_code = '' THEN ', resolution_code'
                ELSE '' END, 3)
  FROM upkeep_closeout AS k
 WHERE k.closeout_serial = ''
    OR k.completed_on IS NULL
    OR k.technician = ''
    OR k.labor_hours IS NULL OR k.labor_hours = 0
    OR k.resolution_code = '';

-- ---- the accepted closeout and check 7 ------------------------------------------
-- Valid = no reason 1-6; the rank-7 rows of these dispatches are gone, so
-- "no reason" is "valid" here. Only dispatches with closeouts: a closeout
-- key never changes its dispatch, so one without has none accepted, as
-- its row was inserted.
DROP TABLE IF EXISTS upkeep_accepted;
CREATE TEMP TABLE upkeep_accepted AS
SELECT d.dispatch_row_id,
       (SELECT c.closeout_id
          FROM cur_closeout AS c
         WHERE c.dispatch_id = d.dispatch_id
           AND NOT EXISTS (SELECT 1 FROM cur_closeout_reason AS r
                            WHERE r.closeout_id = c.closeout_id)
         ORDER BY c.submitted_at, c.file_id, c.line
         LIMIT 1) AS closeout_id
  FROM touched_dispatch AS t
 CROSS JOIN cur_dispatch AS d
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND EXISTS (SELECT 1 FROM cur_closeout AS c
                WHERE c.dispatch_id = d.dispatch_id);
UPDATE cur_dispatch
   SET accepted_closeout_id = a.closeout_id,
       accepted_day = a.submitted_day
  FROM (SELECT u.dispatch_row_id, u.closeout_id, c.submitted_day
          FROM upkeep_accepted AS u
          LEFT JOIN cur_closeout AS c ON c.closeout_id = u.closeout_id) AS a
 WHERE cur_dispatch.dispatch_row_id = a.dispatch_row_id
   AND cur_dispatch.dispatch_row_id IN (SELECT u.dispatch_row_id
                                          FROM upkeep_accepted AS u);

-- 7. DUPLICATE_CLOSEOUT: every other valid closeout of the dispatch. The
-- SELECT is read whole before a row is added, so "valid" is reasons 1-6.
INSERT INTO cur_closeout_reason (closeout_id, rank, code, detail)
SELECT c.closeout_id, 7, 'DUPLICATE_CLOSEOUT',
       'accepted closeout: ' || w.file_name || ':' || CAST(w.line AS TEXT)
  FROM touched_dispatch AS t
 CROSS JOIN cur_dispatch AS d
 CROSS JOIN cur_closeout AS w
 CROSS JOIN cur_closeout AS c
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND w.closeout_id = d.accepted_closeout_id
   AND c.dispatch_id = d.dispatch_id
   AND c.closeout_id <> w.closeout_id
   AND NOT EXISTS (SELECT 1 FROM cur_closeout_reason AS r
                    WHERE r.closeout_id = c.closeout_id);

-- ---- each touched closeout's verdict --------------------------------------------
-- SPEC §4 Non-compensable: "Reason is the primary code; All reasons joins
-- every code with `;`." Pivoted on the seven fixed ranks, in precedence
-- order, without GROUP_CONCAT/string_agg (SQLite does not guarantee its
-- order). Each present reason adds ';CODE' / '; detail' and substr drops
-- the first separator. No reason: reason NULL, '' and '', valid.
DROP TABLE IF EXISTS upkeep_verdict;
CREATE TEMP TABLE upkeep_verdict AS
SELECT v.closeout_id,
       v.dispatched_day AS dispatch_day,
       v.dispatched_at AS dispatch_at,
       v.detail6 AS incomplete_detail,
       COALESCE(v.code1, v.code2, v.code3, v.code4, v.code5, v.code6,
                v.code7) AS reason,
       substr(COALESCE(';' || v.code1, '') || COALESCE(';' || v.code2, '')
           || COALESCE(';' || v.code3, '') || COALESCE(';' || v.code4, '')
           || COALESCE(';' || v.code5, '') || COALESCE(';' || v.code6, '')
           || COALESCE(';' || v.code7, ''), 2) AS all_reasons,
       substr(COALESCE('; ' || v.detail1, '') || COALESCE('; ' || v.detail2, '')
           || COALESCE('; ' || v.detail3, '') || COALESCE('; ' || v.detail4, '')
           || COALESCE('; ' || v.detail5, '') || COALESCE('; ' || v.detail6, '')
           || COALESCE('; ' || v.detail7, ''), 3) AS detail,
       CASE WHEN v.first_rank IS NULL OR v.first_rank = 7
            THEN 1 ELSE 0 END AS is_valid,
       CASE WHEN v.accepted_closeout_id = v.closeout_id
            THEN 1 ELSE 0 END AS is_accepted
  FROM (SELECT t.closeout_id, d.dispatched_day, d.dispatched_at,
               d.accepted_closeout_id, p.first_rank,
               p.code1, p.code2, p.code3, p.code4, p.code5, p.code6, p.code7,
               p.detail1, p.detail2, p.detail3, p.detail4, p.detail5,
               p.detail6, p.detail7
          FROM touched_eval AS t
         CROSS JOIN cur_closeout AS c
          LEFT JOIN cur_dispatch AS d ON d.dispatch_id = c.dispatch_id
          LEFT JOIN
               (SELECT r.closeout_id,
                       MIN(r.rank) AS first_rank,
                       MAX(CASE WHEN r.rank = 1 THEN r.code END) AS code1,
                       MAX(CASE WHEN r.rank = 2 THEN r.code END) AS code2,
                       MAX(CASE WHEN r.rank = 3 THEN r.code END) AS code3,
                       MAX(CASE WHEN r.rank = 4 THEN r.code END) AS code4,
                       MAX(CASE WHEN r.rank = 5 THEN r.code END) AS code5,
                       MAX(CASE WHEN r.rank = 6 THEN r.code END) AS code6,
                       MAX(CASE WHEN r.rank = 7 THEN r.code END) AS code7,
                       MAX(CASE WHEN r.rank = 1 THEN r.detail END) AS detail1,
                       MAX(CASE WHEN r.rank = 2 THEN r.detail END) AS detail2,
                       MAX(CASE WHEN r.rank = 3 THEN r.detail END) AS detail3,
                       MAX(CASE WHEN r.rank = 4 THEN r.detail END) AS detail4,
                       MAX(CASE WHEN r.rank = 5 THEN r.detail END) AS detail5,
                       MAX(CASE WHEN r.rank = 6 THEN r.detail END) AS detail6,
                       MAX(CASE WHEN r.rank = 7 THEN r.detail END) AS detail7
                  FROM cur_closeout_reason AS r
                 WHERE r.closeout_id IN (SELECT e.closeout_id
                                           FROM touched_eval AS e)
                 GROUP BY r.closeout_id) AS p
            ON p.closeout_id = t.closeout_id
         WHERE c.closeout_id = t.closeout_id) AS v;
CREATE UNIQUE INDEX upkeep_verdict_id ON upkeep_verdict (closeout_id);
UPDATE cur_closeout
   SET dispatch_day = v.dispatch_day,
       dispatch_at = v.dispatch_at,
       incomplete_detail = v.incomplete_detail,
       reason = v.reason,
       all_reasons = v.all_reasons,
       detail = v.detail,
       is_valid = v.is_valid,
       is_accepted = v.is_accepted
  FROM upkeep_verdict AS v
 WHERE cur_closeout.closeout_id = v.closeout_id
   AND cur_closeout.closeout_id IN (SELECT u.closeout_id
                                      FROM upkeep_verdict AS u);

-- ---- registration exceptions ----------------------------------------------------
DELETE FROM cur_registration_exception
 WHERE dispatch_id IN (SELECT d.dispatch_id
                         FROM touched_exception AS t
                        CROSS JOIN cur_dispatch AS d
                        WHERE d.dispatch_row_id = t.dispatch_row_id);

-- Every (touched dispatch, registration of its serial active on its day).
DROP TABLE IF EXISTS upkeep_registration;
CREATE TEMP TABLE upkeep_registration AS
SELECT d.dispatch_id,
       d.provider_id,
       d.model_norm      AS dispatch_model_norm,
       r.dealer_id,
       r.registration_id,
       r.model_norm,
       r.wmp_selected
  FROM touched_exception AS t
 CROSS JOIN cur_dispatch AS d
  JOIN cur_registration AS r ON r.serial_norm = d.serial_norm
                            AND r.registered_day <= d.dispatched_day
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND (r.removed_day IS NULL OR d.dispatched_day < r.removed_day);

-- The facts exceptions 2-5 test, one row per dispatch with at least one
-- active registration (no row = NO_REGISTRATION). Two or more different
-- dealers: MIN(dealer_id) < MAX(dealer_id).
DROP TABLE IF EXISTS upkeep_registration_fact;
CREATE TEMP TABLE upkeep_registration_fact AS
SELECT a.dispatch_id,
       MAX(CASE WHEN a.dealer_id = a.provider_id THEN 1 ELSE 0 END)
           AS provider_registered,
       MAX(a.wmp_selected) AS wmp_selected,
       MAX(CASE WHEN a.model_norm = a.dispatch_model_norm THEN 1 ELSE 0 END)
           AS model_registered,
       CASE WHEN MIN(a.dealer_id) < MAX(a.dealer_id) THEN 1 ELSE 0 END
           AS is_overlapping
  FROM upkeep_registration AS a
 GROUP BY a.dispatch_id;
CREATE UNIQUE INDEX upkeep_registration_fact_id
    ON upkeep_registration_fact (dispatch_id);

-- The items the details name, numbered per (dispatch, list): 'dealer'
-- (distinct registered dealers), 'wmp' (distinct dealers with WMP
-- selected), 'model' (distinct models by model_norm, each shown as its
-- smallest registered spelling).
DROP TABLE IF EXISTS upkeep_registration_item;
CREATE TEMP TABLE upkeep_registration_item AS
SELECT v.dispatch_id, v.list, v.item,
       ROW_NUMBER() OVER (PARTITION BY v.dispatch_id, v.list
                          ORDER BY v.sort_key) AS n,
       COUNT(*) OVER (PARTITION BY v.dispatch_id, v.list) AS total
  FROM (SELECT a.dispatch_id, 'dealer' AS list, a.dealer_id AS sort_key,
               a.dealer_id AS item
          FROM upkeep_registration AS a
          JOIN upkeep_registration_fact AS f ON f.dispatch_id = a.dispatch_id
         WHERE f.provider_registered = 0 OR f.is_overlapping = 1
         GROUP BY a.dispatch_id, a.dealer_id
        UNION ALL
        SELECT a.dispatch_id, 'wmp', a.dealer_id, a.dealer_id
          FROM upkeep_registration AS a
         WHERE a.wmp_selected = 1
         GROUP BY a.dispatch_id, a.dealer_id
        UNION ALL
        SELECT a.dispatch_id, 'model', a.model_norm, MIN(r.model)
          FROM upkeep_registration AS a
          JOIN upkeep_registration_fact AS f ON f.dispatch_id = a.dispatch_id
          JOIN cur_registration AS r ON r.registration_id = a.registration_id
         WHERE f.model_registered = 0
         GROUP BY a.dispatch_id, a.model_norm) AS v;
CREATE UNIQUE INDEX upkeep_registration_item_key
    ON upkeep_registration_item (dispatch_id, list, n);

-- Each list joined as "'A', 'B', 'C'" in item order: a recursive CTE, as
-- x060 (portable and ordered).
DROP TABLE IF EXISTS upkeep_registration_list;
CREATE TEMP TABLE upkeep_registration_list AS
WITH RECURSIVE chain (dispatch_id, list, n, total, txt) AS (
    SELECT i.dispatch_id, i.list, i.n, i.total, '''' || i.item || ''''
      FROM upkeep_registration_item AS i
     WHERE i.n = 1
    UNION ALL
    SELECT c.dispatch_id, c.list, i.n, c.total,
           c.txt || ', ''' || i.item || ''''
      FROM chain AS c
      JOIN upkeep_registration_item AS i ON i.dispatch_id = c.dispatch_id
                                        AND i.list = c.list
                                        AND i.n = c.n + 1
)
SELECT c.dispatch_id, c.list, c.txt
  FROM chain AS c
 WHERE c.n = c.total;
CREATE UNIQUE INDEX upkeep_registration_list_key
    ON upkeep_registration_list (dispatch_id, list);

INSERT INTO cur_registration_exception
    (dispatch_id, dispatched_at, dispatched_day, serial_number, model,
     provider_id, status, rank, code, detail, file_name, line)
-- 1. NO_REGISTRATION: no registration of the serial active that day.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 1, 'NO_REGISTRATION',
       'no registration of serial ''' || d.serial_number || ''' active on '
       || substr(d.dispatched_at, 1, 10),
       d.file_name, d.line
  FROM touched_exception AS t
 CROSS JOIN cur_dispatch AS d
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND NOT EXISTS (SELECT 1 FROM upkeep_registration_fact AS f
                    WHERE f.dispatch_id = d.dispatch_id)
UNION ALL
-- 2. NOT_PROVIDER_OF_RECORD: provider (blank included) not registered.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 2, 'NOT_PROVIDER_OF_RECORD',
       CASE WHEN d.provider_id = ''
            THEN 'provider blank; registered dealers ' || l.txt
            ELSE 'provider ''' || d.provider_id
                 || ''' not among registered dealers ' || l.txt
       END,
       d.file_name, d.line
  FROM upkeep_registration_fact AS f
  JOIN cur_dispatch AS d ON d.dispatch_id = f.dispatch_id
  JOIN upkeep_registration_list AS l ON l.dispatch_id = f.dispatch_id
                                    AND l.list = 'dealer'
 WHERE f.provider_registered = 0
UNION ALL
-- 3. WMP_SELECTED: some active registration has WMP selected.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 3, 'WMP_SELECTED',
       'WMP selected by registered dealers ' || l.txt,
       d.file_name, d.line
  FROM upkeep_registration_fact AS f
  JOIN cur_dispatch AS d ON d.dispatch_id = f.dispatch_id
  JOIN upkeep_registration_list AS l ON l.dispatch_id = f.dispatch_id
                                    AND l.list = 'wmp'
 WHERE f.wmp_selected = 1
UNION ALL
-- 4. MODEL_MISMATCH: no active registration has the dispatch's model.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 4, 'MODEL_MISMATCH',
       'model ''' || d.model || ''' not among registered models ' || l.txt,
       d.file_name, d.line
  FROM upkeep_registration_fact AS f
  JOIN cur_dispatch AS d ON d.dispatch_id = f.dispatch_id
  JOIN upkeep_registration_list AS l ON l.dispatch_id = f.dispatch_id
                                    AND l.list = 'model'
 WHERE f.model_registered = 0
UNION ALL
-- 5. OVERLAPPING_REGISTRATION: two or more distinct dealers that day.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 5, 'OVERLAPPING_REGISTRATION',
       'dealers ' || l.txt || ' all registered on '
       || substr(d.dispatched_at, 1, 10),
       d.file_name, d.line
  FROM upkeep_registration_fact AS f
  JOIN cur_dispatch AS d ON d.dispatch_id = f.dispatch_id
  JOIN upkeep_registration_list AS l ON l.dispatch_id = f.dispatch_id
                                    AND l.list = 'dealer'
 WHERE f.is_overlapping = 1;

DROP TABLE upkeep_closeout;
DROP TABLE upkeep_verdict;
DROP TABLE upkeep_accepted;
DROP TABLE upkeep_registration;
DROP TABLE upkeep_registration_fact;
DROP TABLE upkeep_registration_item;
DROP TABLE upkeep_registration_list;
