-- x060_registration_exceptions.sql -- SPEC §3 "Registration exceptions": each (reference)
-- dispatch as of A checked against the registrations active on its day.
--
-- SPEC §1: "every service dispatch for that machine is sent to that dealer,
--   the **service provider of record**." ... "Dispatch by CITS is available
--   for registered machines **whose Warranty Marketing Program (WMP) option
--   is not selected**."
-- SPEC §2 registrations: "A registration is **active on day D** when
--   registered_on <= D and (removed_on is blank or D < removed_on)."
-- SPEC §3: "**Registration exceptions** (per dispatch, against the
--   registrations active on the dispatch's date):
--   - `NO_REGISTRATION` — no active registration for the serial (the other
--     four then do not apply).
--   - `NOT_PROVIDER_OF_RECORD` — provider_id (blank included) is not among
--     the dealers actively registered for the serial.
--   - `WMP_SELECTED` — an active registration of the serial has WMP selected.
--   - `MODEL_MISMATCH` — no active registration of the serial has the
--     dispatch's model.
--   - `OVERLAPPING_REGISTRATION` — two or more different dealers are actively
--     registered for the serial that day.
--   Every dispatch (current version, cancelled ones included) dispatched on
--   or before A is checked. “Current” means the latest imported version: the
--   as-of date filters by business dates, not by when rows were imported."
-- SPEC §2: "serial numbers and models compare after normalization".
--
-- Decisions:
--   * Registrations are the current versions (r020) whatever their import
--     date; A only limits which dispatches are checked. The dispatch's day is
--     its current version's dispatched_day.
--   * Ranks 1..5 follow the SPEC's listing order.
--   * A dealer with two active registrations of the serial is one dealer:
--     OVERLAPPING_REGISTRATION needs two distinct dealer_id.
--   * Details list dealers and models in full, sorted, each quoted; models by
--     model_norm, shown as the smallest spelling registered.

-- Every (dispatch, registration of its serial active on its day) pair, for
-- the dispatches that take part (dated on or before A). One index range on
-- registration_current (serial_norm, registered_day) per dispatch. CROSS
-- JOIN keeps the one-row run_ctx inside the loop (SQLite, without
-- statistics, might otherwise put it outside).
CREATE TEMP VIEW dispatch_registration AS
SELECT d.dispatch_id,
       d.provider_id,
       d.model_norm      AS dispatch_model_norm,
       r.dealer_id,
       r.model,
       r.model_norm,
       r.wmp_selected,
       r.file_name,
       r.line,
       r.registration_id
  FROM dispatch_current AS d
 CROSS JOIN run_ctx AS x
  JOIN registration_current AS r ON r.serial_norm = d.serial_norm
                                AND r.registered_day <= d.dispatched_day
 WHERE d.dispatched_day <= x.as_of_day
   AND (r.removed_day IS NULL OR d.dispatched_day < r.removed_day);

-- The facts exceptions 2–5 test, one row per dispatch that has at least one
-- active registration (no row = NO_REGISTRATION). "Two or more different
-- dealers" is MIN(dealer_id) < MAX(dealer_id): cheaper than COUNT(DISTINCT),
-- and the same dealer registered twice is still one dealer.
CREATE TEMP TABLE dispatch_registration_fact AS
SELECT a.dispatch_id,
       MAX(CASE WHEN a.dealer_id = a.provider_id THEN 1 ELSE 0 END)
           AS provider_registered,
       MAX(a.wmp_selected) AS wmp_selected,
       MAX(CASE WHEN a.model_norm = a.dispatch_model_norm THEN 1 ELSE 0 END)
           AS model_registered,
       CASE WHEN MIN(a.dealer_id) < MAX(a.dealer_id) THEN 1 ELSE 0 END
           AS is_overlapping
  FROM dispatch_registration AS a
 GROUP BY a.dispatch_id;
CREATE UNIQUE INDEX dispatch_registration_fact_id
    ON dispatch_registration_fact (dispatch_id);

-- The active registrations of the dispatches that have exception 2–5,
-- the only ones whose details list dealers or models.
CREATE TEMP TABLE dispatch_registration_listed AS
SELECT a.dispatch_id, a.dealer_id, a.model, a.model_norm, a.wmp_selected,
       f.provider_registered, f.model_registered, f.is_overlapping
  FROM dispatch_registration_fact AS f
  JOIN dispatch_registration AS a ON a.dispatch_id = f.dispatch_id
 WHERE f.provider_registered = 0 OR f.wmp_selected = 1
    OR f.model_registered = 0 OR f.is_overlapping = 1;

-- The items the details name, numbered per (dispatch, list):
--   'dealer': distinct registered dealers (NOT_PROVIDER_OF_RECORD,
--             OVERLAPPING_REGISTRATION);
--   'wmp':    distinct dealers whose active registration has WMP selected;
--   'model':  distinct registered models by model_norm, each shown as its
--             smallest registered spelling (MODEL_MISMATCH).
CREATE TEMP TABLE registration_list_item AS
SELECT v.dispatch_id, v.list, v.item,
       ROW_NUMBER() OVER (PARTITION BY v.dispatch_id, v.list
                          ORDER BY v.sort_key) AS n,
       COUNT(*) OVER (PARTITION BY v.dispatch_id, v.list) AS total
  FROM (SELECT a.dispatch_id, 'dealer' AS list, a.dealer_id AS sort_key,
               a.dealer_id AS item
          FROM dispatch_registration_listed AS a
         WHERE a.provider_registered = 0 OR a.is_overlapping = 1
         GROUP BY a.dispatch_id, a.dealer_id
        UNION ALL
        SELECT a.dispatch_id, 'wmp', a.dealer_id, a.dealer_id
          FROM dispatch_registration_listed AS a
         WHERE a.wmp_selected = 1
         GROUP BY a.dispatch_id, a.dealer_id
        UNION ALL
        SELECT a.dispatch_id, 'model', a.model_norm, MIN(a.model)
          FROM dispatch_registration_listed AS a
         WHERE a.model_registered = 0
         GROUP BY a.dispatch_id, a.model_norm) AS v;
CREATE UNIQUE INDEX registration_list_item_key
    ON registration_list_item (dispatch_id, list, n);

-- Each list joined as "'A', 'B', 'C'" in item order. A recursive CTE instead
-- of GROUP_CONCAT/string_agg: portable, and ordered (SQLite 3.40 does not
-- guarantee the order of group_concat). Each step is one index seek.
-- At most 50 items are named, then "and N more (T in all)" (qa18): each
-- step copies the text so far, so a serial registered by 5,000 dealers made
-- every one of its dispatches cost 5,000 steps of a text up to 50 kB (a
-- 5,000-dispatch night did not finish in 10 minutes), for a detail that a
-- cell (32,767 characters) could not hold anyway. explain --source on the
-- registrations file names every dealer.
CREATE TEMP TABLE registration_list AS
WITH RECURSIVE chain (dispatch_id, list, n, total, txt) AS (
    SELECT i.dispatch_id, i.list, i.n, i.total, '''' || i.item || ''''
      FROM registration_list_item AS i
     WHERE i.n = 1
    UNION ALL
    SELECT c.dispatch_id, c.list, i.n, c.total,
           c.txt || ', ''' || i.item || ''''
      FROM chain AS c
      JOIN registration_list_item AS i ON i.dispatch_id = c.dispatch_id
                                      AND i.list = c.list
                                      AND i.n = c.n + 1
     WHERE i.n <= 50
)
SELECT c.dispatch_id, c.list,
       CASE WHEN c.total > 50
            THEN c.txt || ' and ' || CAST(c.total - 50 AS TEXT)
                 || ' more (' || CAST(c.total AS TEXT) || ' in all)'
            ELSE c.txt
       END AS txt
  FROM chain AS c
 WHERE c.n = CASE WHEN c.total > 50 THEN 50 ELSE c.total END;
CREATE UNIQUE INDEX registration_list_key
    ON registration_list (dispatch_id, list);

-- One row per dispatch (as of A) and exception.
CREATE TEMP TABLE registration_exception (
    dispatch_id    TEXT NOT NULL,
    dispatched_at  TEXT NOT NULL,
    dispatched_day INTEGER NOT NULL,
    serial_number  TEXT NOT NULL,
    model          TEXT NOT NULL,
    provider_id    TEXT NOT NULL,     -- '' = blank
    status         TEXT NOT NULL,     -- OPEN or CANCELLED (both are checked)
    rank           INTEGER NOT NULL,  -- SPEC §3 listing order, 1..5
    code           TEXT NOT NULL,
    detail         TEXT NOT NULL,
    file_name      TEXT NOT NULL,     -- the dispatch's source file and line
    line           INTEGER NOT NULL,
    PRIMARY KEY (dispatch_id, rank)
);

INSERT INTO registration_exception
    (dispatch_id, dispatched_at, dispatched_day, serial_number, model,
     provider_id, status, rank, code, detail, file_name, line)
-- 1. NO_REGISTRATION: no registration of the serial active that day.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 1, 'NO_REGISTRATION',
       'no registration of serial ''' || d.serial_number || ''' active on '
       || substr(d.dispatched_at, 1, 10),
       d.file_name, d.line
  FROM dispatch_current AS d
 CROSS JOIN run_ctx AS x
 WHERE d.dispatched_day <= x.as_of_day
   AND NOT EXISTS (SELECT 1 FROM dispatch_registration_fact AS f
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
  FROM dispatch_registration_fact AS f
  JOIN dispatch_current AS d ON d.dispatch_id = f.dispatch_id
  JOIN registration_list AS l ON l.dispatch_id = f.dispatch_id
                             AND l.list = 'dealer'
 WHERE f.provider_registered = 0
UNION ALL
-- 3. WMP_SELECTED: some active registration has WMP selected.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 3, 'WMP_SELECTED',
       'WMP selected by registered dealers ' || l.txt,
       d.file_name, d.line
  FROM dispatch_registration_fact AS f
  JOIN dispatch_current AS d ON d.dispatch_id = f.dispatch_id
  JOIN registration_list AS l ON l.dispatch_id = f.dispatch_id
                             AND l.list = 'wmp'
 WHERE f.wmp_selected = 1
UNION ALL
-- 4. MODEL_MISMATCH: no active registration has the dispatch's model.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 4, 'MODEL_MISMATCH',
       'model ''' || d.model || ''' not among registered models ' || l.txt,
       d.file_name, d.line
  FROM dispatch_registration_fact AS f
  JOIN dispatch_current AS d ON d.dispatch_id = f.dispatch_id
  JOIN registration_list AS l ON l.dispatch_id = f.dispatch_id
                             AND l.list = 'model'
 WHERE f.model_registered = 0
UNION ALL
-- 5. OVERLAPPING_REGISTRATION: two or more distinct dealers that day.
SELECT d.dispatch_id, d.dispatched_at, d.dispatched_day, d.serial_number,
       d.model, d.provider_id, d.status, 5, 'OVERLAPPING_REGISTRATION',
       'dealers ' || l.txt || ' all registered on '
       || substr(d.dispatched_at, 1, 10),
       d.file_name, d.line
  FROM dispatch_registration_fact AS f
  JOIN dispatch_current AS d ON d.dispatch_id = f.dispatch_id
  JOIN registration_list AS l ON l.dispatch_id = f.dispatch_id
                             AND l.list = 'dealer'
 WHERE f.is_overlapping = 1;
-- The listing's order (oldest first, then dispatch, then exception).
CREATE INDEX registration_exception_order
    ON registration_exception (dispatched_at, dispatch_id, rank);
