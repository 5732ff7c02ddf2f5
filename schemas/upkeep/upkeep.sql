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
-- state: a night costs what it touches. Every TEMP table below is created
-- with its indexes before its rows go in, so nothing in the upkeep sorts:
-- SQLite's sorter holds up to cache_size in memory, and the indexes built
-- after the fill (four sorts) made a load's peak grow with the database
-- (200k: 35 MB, 1M: 37 MB; now ~30 MB at both; bench/README.md). CROSS JOIN tells SQLite (which has
-- no statistics on the TEMP lists) to loop over the list first; PostgreSQL
-- reads it as a plain join.

-- ---- the closeouts written again -----------------------------------------------
-- The touched closeouts and every closeout of a touched dispatch (its
-- accepted closeout is picked again, check 7). Each is deleted and written
-- once, whole, with its verdict: read from its own row of the feed table
-- (cur_closeout.closeout_id is that row), so a new closeout is never
-- inserted bare and then updated. Every closeout that names an existing
-- dispatch and is listed here has its dispatch in touched_dispatch (the
-- touch_*.sql put it there), so all the closeouts of a dispatch are read
-- together below.
INSERT INTO touched_eval (closeout_id)
SELECT t.closeout_id FROM touched_closeout AS t;
INSERT INTO touched_eval (closeout_id)
SELECT c.closeout_id
  FROM touched_dispatch AS t
 CROSS JOIN cur_dispatch AS d
 CROSS JOIN cur_closeout AS c
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND c.dispatch_id = d.dispatch_id
   AND NOT EXISTS (SELECT 1 FROM touched_eval AS e
                    WHERE e.closeout_id = c.closeout_id);

DELETE FROM cur_closeout_reason
 WHERE closeout_id IN (SELECT t.closeout_id FROM touched_eval AS t);
DELETE FROM cur_closeout
 WHERE closeout_id IN (SELECT t.closeout_id FROM touched_eval AS t);

-- ---- checks 1-6 -----------------------------------------------------------------
-- Each closeout with the current dispatch it names (NULL columns: blank or
-- unknown id; every dispatch takes part, so "the dispatch exists" is "a
-- current dispatch has the id"): the detail of each check that applies,
-- NULL when it does not (upkeep_verdict gives the codes). Narrow on
-- purpose: the feed columns are read from the closeout's row once, when it
-- is written.
-- The table and its index exist before the rows go in: the pick of the
-- accepted closeout below walks the index in acceptance order, so nothing
-- is sorted (SQLite's sorter would hold up to cache_size in memory). The
-- index holds only the valid closeouts (the only ones the pick reads; a
-- partial index, SQLite and PostgreSQL alike) and ends with submitted_day,
-- so the pick reads the index alone, not the table.
DROP TABLE IF EXISTS upkeep_closeout;
CREATE TEMP TABLE upkeep_closeout (
    closeout_id     INTEGER PRIMARY KEY,
    file_id         INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    submitted_at    TEXT NOT NULL,
    submitted_day   INTEGER NOT NULL,
    dispatch_row_id INTEGER,            -- NULL: blank or unknown id
    dispatch_day    INTEGER,
    dispatch_at     TEXT,
    detail1         TEXT,               -- NULL: the check does not apply
    detail2         TEXT,
    detail3         TEXT,
    detail4         TEXT,
    detail5         TEXT,
    detail6         TEXT,
    is_valid        INTEGER NOT NULL    -- no reason 1-6
);
CREATE INDEX upkeep_closeout_order
    ON upkeep_closeout (dispatch_row_id, submitted_at, file_id, line,
                        submitted_day)
 WHERE is_valid = 1;
INSERT INTO upkeep_closeout
    (closeout_id, file_id, line, submitted_at, submitted_day,
     dispatch_row_id, dispatch_day, dispatch_at, detail1, detail2, detail3,
     detail4, detail5, detail6, is_valid)
SELECT k.closeout_id, k.file_id, k.line, k.submitted_at, k.submitted_day,
       k.dispatch_row_id, k.dispatch_day, k.dispatch_at, k.detail1,
       k.detail2, k.detail3, k.detail4, k.detail5, k.detail6,
       CASE WHEN k.detail1 IS NULL AND k.detail2 IS NULL
             AND k.detail3 IS NULL AND k.detail4 IS NULL
             AND k.detail5 IS NULL AND k.detail6 IS NULL
            THEN 1 ELSE 0 END AS is_valid
  FROM (SELECT c.closeout_id, c.file_id, c.line, c.submitted_at,
               c.submitted_day, d.dispatch_row_id,
               d.dispatched_day AS dispatch_day,
               d.dispatched_at AS dispatch_at,
-- 1. NO_DISPATCH: blank or unknown id (a dispatch dated after A is the
-- as-of views' to add: schemas/rules/r030_closeout_rules.sql).
               CASE WHEN d.dispatch_id IS NULL
                    THEN CASE WHEN c.dispatch_id = ''
                              THEN 'no dispatch id given'
                              ELSE 'dispatch ''' || c.dispatch_id
                                   || ''' not found' END
               END AS detail1,
-- 2. DISPATCH_CANCELLED: the current version of the dispatch is CANCELLED.
--    Its file is named with its SHA-256 prefix: a feed that arrives under
--    the same name every night makes FILE:LINE alone ambiguous (README
--    "Which file a row comes from"). COALESCE: a NULL would make the check
--    not apply.
               CASE WHEN d.status = 'CANCELLED'
                    THEN 'dispatch ''' || c.dispatch_id || ''' is cancelled ('
                         || d.file_name || ':' || CAST(d.line AS TEXT)
                         || ', SHA-256 '
                         || COALESCE(substr(df.sha256, 1, 12), '') || ')'
               END AS detail2,
-- 3. PROVIDER_MISMATCH: dealer ids compare exactly (SPEC §2).
               CASE WHEN c.dealer_id <> d.provider_id
                    THEN CASE WHEN d.provider_id = ''
                              THEN 'dealer ''' || c.dealer_id
                                   || ''' is not the provider (dispatch has none)'
                              ELSE 'dealer ''' || c.dealer_id
                                   || ''' is not the provider '''
                                   || d.provider_id || '''' END
               END AS detail3,
-- 4. SERIAL_MISMATCH: normalized compare, only when the closeout gives one
--    (one that normalizes to '', e.g. '-', compares as '': README "Rules").
               CASE WHEN c.serial_number <> ''
                     AND c.serial_norm <> d.serial_norm
                    THEN 'serial ''' || c.serial_number
                         || ''' differs from dispatch serial '''
                         || d.serial_number || ''''
               END AS detail4,
-- 5. SERVICE_BEFORE_DISPATCH: day numbers, so the same day is fine.
               CASE WHEN c.completed_day < d.dispatched_day
                    THEN 'completed ' || c.completed_on || ' before dispatch '
                         || substr(d.dispatched_at, 1, 10)
               END AS detail5,
-- 6. INCOMPLETE_SECTION2: the blank Section 2 fields, in column order
-- (with or without a dispatch).
               CASE WHEN c.serial_number = '' OR c.completed_on IS NULL
                      OR c.technician = ''
                      OR c.labor_hours IS NULL OR c.labor_hours = 0
                      OR c.resolution_code = ''
                    THEN 'blank: ' || substr(
                        CASE WHEN c.serial_number = '' THEN ', serial_number'
                             ELSE '' END
                     || CASE WHEN c.completed_on IS NULL
                             THEN ', completed_on' ELSE '' END
                     || CASE WHEN c.technician = '' THEN ', technician'
                             ELSE '' END
                     || CASE WHEN c.labor_hours IS NULL OR c.labor_hours = 0
                             THEN ', labor_hours' ELSE '' END
                     || CASE WHEN c.resolution_code = ''
                             THEN ', resolution_code' ELSE '' END, 3)
               END AS detail6
          FROM touched_eval AS t
         CROSS JOIN closeout AS c
          LEFT JOIN cur_dispatch AS d ON d.dispatch_id = c.dispatch_id
          LEFT JOIN imported_file AS df ON df.file_id = d.file_id
         WHERE c.closeout_id = t.closeout_id) AS k;

-- ---- the accepted closeout and check 7 ------------------------------------------
-- Valid = no reason 1-6 (only a closeout whose dispatch exists can be).
-- Per touched dispatch, the first valid closeout in acceptance order; all
-- its closeouts are in upkeep_closeout (see above). The window walks
-- upkeep_closeout_order, so the rows come in dispatch_row_id order.
DROP TABLE IF EXISTS upkeep_accepted;
CREATE TEMP TABLE upkeep_accepted (
    dispatch_row_id INTEGER PRIMARY KEY,
    closeout_id     INTEGER NOT NULL,
    submitted_day   INTEGER NOT NULL,
    file_name       TEXT NOT NULL,
    line            INTEGER NOT NULL,
    file_sha        TEXT NOT NULL       -- its file's SHA-256, 12 hex
);
INSERT INTO upkeep_accepted
    (dispatch_row_id, closeout_id, submitted_day, file_name, line, file_sha)
SELECT a.dispatch_row_id, a.closeout_id, a.submitted_day, f.name AS file_name,
       a.line, COALESCE(substr(f.sha256, 1, 12), '') AS file_sha
  FROM (SELECT k.dispatch_row_id, k.closeout_id, k.submitted_day,
               k.file_id, k.line,
               ROW_NUMBER() OVER (PARTITION BY k.dispatch_row_id
                                  ORDER BY k.submitted_at, k.file_id,
                                           k.line) AS n
          FROM upkeep_closeout AS k
         WHERE k.is_valid = 1) AS a
  JOIN imported_file AS f ON f.file_id = a.file_id
 WHERE a.n = 1;

-- Each touched dispatch's accepted closeout (NULL: none), written where it
-- changed. The IN list makes SQLite walk the touched list, not the table.
UPDATE cur_dispatch
   SET accepted_closeout_id = a.closeout_id,
       accepted_day = a.submitted_day
  FROM (SELECT t.dispatch_row_id, u.closeout_id, u.submitted_day
          FROM touched_dispatch AS t
          LEFT JOIN upkeep_accepted AS u
            ON u.dispatch_row_id = t.dispatch_row_id) AS a
 WHERE cur_dispatch.dispatch_row_id = a.dispatch_row_id
   AND cur_dispatch.dispatch_row_id IN (SELECT t.dispatch_row_id
                                          FROM touched_dispatch AS t)
   AND (cur_dispatch.accepted_closeout_id IS DISTINCT FROM a.closeout_id
        OR cur_dispatch.accepted_day IS DISTINCT FROM a.submitted_day);

-- 7. DUPLICATE_CLOSEOUT: every other valid closeout of the dispatch; the
-- accepted one named by FILE:LINE and its file's SHA-256 prefix (as check 2).
DROP VIEW IF EXISTS upkeep_verdict;
CREATE TEMP VIEW upkeep_verdict AS
SELECT k.closeout_id, k.dispatch_day, k.dispatch_at, k.is_valid,
       k.detail1, k.detail2, k.detail3, k.detail4, k.detail5, k.detail6,
       CASE WHEN k.is_valid = 1 AND a.closeout_id <> k.closeout_id
            THEN 'accepted closeout: ' || a.file_name || ':'
                 || CAST(a.line AS TEXT) || ' (SHA-256 ' || a.file_sha || ')'
       END AS detail7,
       CASE WHEN k.detail1 IS NOT NULL THEN 'NO_DISPATCH' END AS code1,
       CASE WHEN k.detail2 IS NOT NULL THEN 'DISPATCH_CANCELLED' END AS code2,
       CASE WHEN k.detail3 IS NOT NULL THEN 'PROVIDER_MISMATCH' END AS code3,
       CASE WHEN k.detail4 IS NOT NULL THEN 'SERIAL_MISMATCH' END AS code4,
       CASE WHEN k.detail5 IS NOT NULL THEN 'SERVICE_BEFORE_DISPATCH'
       END AS code5,
       CASE WHEN k.detail6 IS NOT NULL THEN 'INCOMPLETE_SECTION2' END AS code6,
       CASE WHEN k.is_valid = 1 AND a.closeout_id <> k.closeout_id
            THEN 'DUPLICATE_CLOSEOUT' END AS code7,
       CASE WHEN a.closeout_id = k.closeout_id THEN 1 ELSE 0 END
           AS is_accepted
  FROM upkeep_closeout AS k
  LEFT JOIN upkeep_accepted AS a ON a.dispatch_row_id = k.dispatch_row_id;

-- ---- each closeout, its reasons and its verdict ---------------------------------
-- SPEC §4 Non-compensable: "Reason is the primary code; All reasons joins
-- every code with `;`." In precedence order, without GROUP_CONCAT /
-- string_agg (SQLite does not guarantee its order): each present reason
-- adds ';CODE' / '; detail' and substr drops the first separator. No
-- reason: reason NULL, '' and ''.
INSERT INTO cur_closeout
    (closeout_id, file_id, line, dealer_id, submitted_at, submitted_day,
     dispatch_id, serial_number, serial_norm, model, model_norm,
     completed_on, completed_day, technician, labor_hours, resolution_code,
     parts, file_name, dispatch_day, dispatch_at, incomplete_detail, reason,
     all_reasons, detail, is_valid, is_accepted)
SELECT c.closeout_id, c.file_id, c.line, c.dealer_id, c.submitted_at,
       c.submitted_day, c.dispatch_id, c.serial_number, c.serial_norm,
       c.model, c.model_norm, c.completed_on, c.completed_day, c.technician,
       c.labor_hours, c.resolution_code, c.parts, f.name,
       v.dispatch_day, v.dispatch_at, v.detail6,
       COALESCE(v.code1, v.code2, v.code3, v.code4, v.code5, v.code6,
                v.code7),
       substr(COALESCE(';' || v.code1, '') || COALESCE(';' || v.code2, '')
           || COALESCE(';' || v.code3, '') || COALESCE(';' || v.code4, '')
           || COALESCE(';' || v.code5, '') || COALESCE(';' || v.code6, '')
           || COALESCE(';' || v.code7, ''), 2),
       substr(COALESCE('; ' || v.detail1, '') || COALESCE('; ' || v.detail2, '')
           || COALESCE('; ' || v.detail3, '') || COALESCE('; ' || v.detail4, '')
           || COALESCE('; ' || v.detail5, '') || COALESCE('; ' || v.detail6, '')
           || COALESCE('; ' || v.detail7, ''), 3),
       v.is_valid, v.is_accepted
  FROM upkeep_verdict AS v
 CROSS JOIN closeout AS c
  JOIN imported_file AS f ON f.file_id = c.file_id
 WHERE c.closeout_id = v.closeout_id;

-- One pass over the verdict (a view: each read joins upkeep_accepted
-- again), only the closeouts with a reason, each crossed with the seven
-- ranks: the rows come in (closeout_id, rank) order, the key's.
INSERT INTO cur_closeout_reason (closeout_id, rank, code, detail)
WITH upkeep_rank (rank) AS (
    VALUES (1), (2), (3), (4), (5), (6), (7)
)
SELECT r.closeout_id, r.rank, r.code, r.detail
  FROM (SELECT v.closeout_id, n.rank,
               CASE n.rank WHEN 1 THEN v.code1 WHEN 2 THEN v.code2
                           WHEN 3 THEN v.code3 WHEN 4 THEN v.code4
                           WHEN 5 THEN v.code5 WHEN 6 THEN v.code6
                           ELSE v.code7 END AS code,
               CASE n.rank WHEN 1 THEN v.detail1 WHEN 2 THEN v.detail2
                           WHEN 3 THEN v.detail3 WHEN 4 THEN v.detail4
                           WHEN 5 THEN v.detail5 WHEN 6 THEN v.detail6
                           ELSE v.detail7 END AS detail
          FROM upkeep_verdict AS v
         CROSS JOIN upkeep_rank AS n
         WHERE v.is_valid = 0 OR v.code7 IS NOT NULL) AS r
 WHERE r.code IS NOT NULL;

-- ---- registration exceptions ----------------------------------------------------
DELETE FROM cur_registration_exception
 WHERE dispatch_id IN (SELECT d.dispatch_id
                         FROM touched_exception AS t
                        CROSS JOIN cur_dispatch AS d
                        WHERE d.dispatch_row_id = t.dispatch_row_id);

-- The facts exceptions 2-5 test, one row per touched dispatch with at
-- least one registration of its serial active on its day (no row =
-- NO_REGISTRATION). Two or more different dealers: MIN(dealer_id) <
-- MAX(dealer_id). Grouped in the touched list's order (no sort). Read by
-- its key only (no index on dispatch_id: one index fewer to fill per
-- touched dispatch).
DROP TABLE IF EXISTS upkeep_registration_fact;
CREATE TEMP TABLE upkeep_registration_fact (
    dispatch_row_id     INTEGER PRIMARY KEY,
    dispatch_id         TEXT NOT NULL,
    provider_registered INTEGER NOT NULL,
    wmp_selected        INTEGER NOT NULL,
    model_registered    INTEGER NOT NULL,
    is_overlapping      INTEGER NOT NULL
);
INSERT INTO upkeep_registration_fact
    (dispatch_row_id, dispatch_id, provider_registered, wmp_selected,
     model_registered, is_overlapping)
SELECT t.dispatch_row_id,
       d.dispatch_id,
       MAX(CASE WHEN r.dealer_id = d.provider_id THEN 1 ELSE 0 END)
           AS provider_registered,
       MAX(r.wmp_selected) AS wmp_selected,
       MAX(CASE WHEN r.model_norm = d.model_norm THEN 1 ELSE 0 END)
           AS model_registered,
       CASE WHEN MIN(r.dealer_id) < MAX(r.dealer_id) THEN 1 ELSE 0 END
           AS is_overlapping
  FROM touched_exception AS t
 CROSS JOIN cur_dispatch AS d
  JOIN cur_registration AS r ON r.serial_norm = d.serial_norm
                            AND r.registered_day <= d.dispatched_day
 WHERE d.dispatch_row_id = t.dispatch_row_id
   AND (r.removed_day IS NULL OR d.dispatched_day < r.removed_day)
 GROUP BY t.dispatch_row_id, d.dispatch_id;

-- The (dispatch, active registration) pairs whose dealers or models a
-- detail names: only the dispatches with an exception 2-5. The table and
-- its indexes exist before the rows go in, so the lists below are grouped
-- by walking an index, not by sorting, and no two sorts are live at once
-- (SQLite's sorter holds up to cache_size each: at 4M rows two at once
-- raised the load's peak memory, bench/README.md).
DROP TABLE IF EXISTS upkeep_registration;
CREATE TEMP TABLE upkeep_registration (
    dispatch_id     TEXT NOT NULL,
    dealer_id       TEXT NOT NULL,
    registration_id INTEGER NOT NULL,
    model_norm      TEXT NOT NULL,
    wmp_selected    INTEGER NOT NULL,
    need_dealer     INTEGER NOT NULL,   -- exception 2 or 5: dealers named
    need_model      INTEGER NOT NULL    -- exception 4: models named
);
CREATE INDEX upkeep_registration_dealer
    ON upkeep_registration (dispatch_id, dealer_id);
CREATE INDEX upkeep_registration_model
    ON upkeep_registration (dispatch_id, model_norm);
INSERT INTO upkeep_registration
    (dispatch_id, dealer_id, registration_id, model_norm, wmp_selected,
     need_dealer, need_model)
SELECT d.dispatch_id,
       r.dealer_id,
       r.registration_id,
       r.model_norm,
       r.wmp_selected,
       CASE WHEN f.provider_registered = 0 OR f.is_overlapping = 1
            THEN 1 ELSE 0 END,
       CASE WHEN f.model_registered = 0 THEN 1 ELSE 0 END
  FROM upkeep_registration_fact AS f
 CROSS JOIN cur_dispatch AS d
  JOIN cur_registration AS r ON r.serial_norm = d.serial_norm
                            AND r.registered_day <= d.dispatched_day
 WHERE d.dispatch_row_id = f.dispatch_row_id
   AND (f.provider_registered = 0 OR f.wmp_selected = 1
        OR f.model_registered = 0 OR f.is_overlapping = 1)
   AND (r.removed_day IS NULL OR d.dispatched_day < r.removed_day);

-- The items the details name, per (dispatch, list): 'dealer' (distinct
-- registered dealers), 'wmp' (distinct dealers with WMP selected),
-- 'model' (distinct models by model_norm, each shown as its smallest
-- registered spelling); one list per statement, then numbered in
-- sort_key order along the index (ROW_NUMBER and COUNT over one window).
DROP TABLE IF EXISTS upkeep_registration_group;
CREATE TEMP TABLE upkeep_registration_group (
    dispatch_id TEXT NOT NULL,
    list        TEXT NOT NULL,
    sort_key    TEXT NOT NULL,
    item        TEXT NOT NULL
);
CREATE INDEX upkeep_registration_group_order
    ON upkeep_registration_group (dispatch_id, list, sort_key);
INSERT INTO upkeep_registration_group (dispatch_id, list, sort_key, item)
SELECT a.dispatch_id, 'dealer', a.dealer_id, a.dealer_id
  FROM upkeep_registration AS a
 WHERE a.need_dealer = 1
 GROUP BY a.dispatch_id, a.dealer_id;
INSERT INTO upkeep_registration_group (dispatch_id, list, sort_key, item)
SELECT a.dispatch_id, 'wmp', a.dealer_id, a.dealer_id
  FROM upkeep_registration AS a
 WHERE a.wmp_selected = 1
 GROUP BY a.dispatch_id, a.dealer_id;
INSERT INTO upkeep_registration_group (dispatch_id, list, sort_key, item)
SELECT a.dispatch_id, 'model', a.model_norm, MIN(r.model)
  FROM upkeep_registration AS a
  JOIN cur_registration AS r ON r.registration_id = a.registration_id
 WHERE a.need_model = 1
 GROUP BY a.dispatch_id, a.model_norm;
DROP TABLE IF EXISTS upkeep_registration_item;
CREATE TEMP TABLE upkeep_registration_item (
    dispatch_id TEXT NOT NULL,
    list        TEXT NOT NULL,
    item        TEXT NOT NULL,
    n           INTEGER NOT NULL,
    total       INTEGER NOT NULL
);
CREATE UNIQUE INDEX upkeep_registration_item_key
    ON upkeep_registration_item (dispatch_id, list, n);
INSERT INTO upkeep_registration_item (dispatch_id, list, item, n, total)
SELECT g.dispatch_id, g.list, g.item,
       ROW_NUMBER() OVER w AS n,
       COUNT(*) OVER w AS total
  FROM upkeep_registration_group AS g
WINDOW w AS (PARTITION BY g.dispatch_id, g.list ORDER BY g.sort_key
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);

-- Each list joined as "'A', 'B', 'C'" in item order: a recursive CTE, as
-- x060 (portable and ordered), the first 50 items and then "and N more
-- (T in all)" (x060 says why).
DROP TABLE IF EXISTS upkeep_registration_list;
CREATE TEMP TABLE upkeep_registration_list (
    dispatch_id TEXT NOT NULL,
    list        TEXT NOT NULL,
    txt         TEXT NOT NULL
);
CREATE UNIQUE INDEX upkeep_registration_list_key
    ON upkeep_registration_list (dispatch_id, list);
INSERT INTO upkeep_registration_list (dispatch_id, list, txt)
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
     WHERE i.n <= 50
)
SELECT c.dispatch_id, c.list,
       CASE WHEN c.total > 50
            THEN c.txt || ' and ' || CAST(c.total - 50 AS TEXT)
                 || ' more (' || CAST(c.total AS TEXT) || ' in all)'
            ELSE c.txt
       END
  FROM chain AS c
 WHERE c.n = CASE WHEN c.total > 50 THEN 50 ELSE c.total END;

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
                    WHERE f.dispatch_row_id = t.dispatch_row_id)
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
  JOIN cur_dispatch AS d ON d.dispatch_row_id = f.dispatch_row_id
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
  JOIN cur_dispatch AS d ON d.dispatch_row_id = f.dispatch_row_id
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
  JOIN cur_dispatch AS d ON d.dispatch_row_id = f.dispatch_row_id
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
  JOIN cur_dispatch AS d ON d.dispatch_row_id = f.dispatch_row_id
  JOIN upkeep_registration_list AS l ON l.dispatch_id = f.dispatch_id
                                    AND l.list = 'dealer'
 WHERE f.is_overlapping = 1;

DROP VIEW upkeep_verdict;
DROP TABLE upkeep_closeout;
DROP TABLE upkeep_accepted;
DROP TABLE upkeep_registration;
DROP TABLE upkeep_registration_group;
DROP TABLE upkeep_registration_fact;
DROP TABLE upkeep_registration_item;
DROP TABLE upkeep_registration_list;
