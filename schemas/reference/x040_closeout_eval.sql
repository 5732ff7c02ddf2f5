-- x040_closeout_eval.sql -- SPEC §3: the accepted closeout of each dispatch, (reference)
-- check 7 (DUPLICATE_CLOSEOUT), one evaluated row per closeout, and the
-- non-compensable ones.
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
--
-- Note on ties: two valid closeouts of one dispatch both have the dealer
-- equal to the dispatch's provider, so equal submitted_at would mean equal
-- keys (dealer_id, dispatch_id, submitted_at): rejected within one file,
-- superseded across files. The tie-breaks (file_id, then line) can thus only
-- matter if the key changes; they are kept so the order is total and the
-- workbooks byte-identical whatever the data.

-- The accepted closeout of each dispatch that has a valid one. Valid = no
-- reason 1–6 yet (r030 wrote only those); a valid closeout always names a
-- dispatch that exists, so dispatch_id is never ''.
CREATE TEMP TABLE closeout_accepted AS
SELECT v.dispatch_id, v.closeout_id
  FROM (SELECT c.dispatch_id, c.closeout_id,
               ROW_NUMBER() OVER (PARTITION BY c.dispatch_id
                                  ORDER BY c.submitted_at, c.file_id, c.line)
                   AS pick
          FROM closeout_current AS c
         WHERE NOT EXISTS (SELECT 1 FROM closeout_reason AS r
                            WHERE r.closeout_id = c.closeout_id)) AS v
 WHERE v.pick = 1;
CREATE UNIQUE INDEX closeout_accepted_dispatch
    ON closeout_accepted (dispatch_id);

-- 7. DUPLICATE_CLOSEOUT: every other valid closeout of an accepted dispatch.
-- The SELECT reads closeout_reason before any row is added (both engines
-- evaluate the whole SELECT first), so "valid" still means reasons 1–6.
INSERT INTO closeout_reason (closeout_id, rank, code, detail)
SELECT c.closeout_id, 7, 'DUPLICATE_CLOSEOUT',
       'accepted closeout: ' || w.file_name || ':' || CAST(w.line AS TEXT)
       || ' (SHA-256 ' || COALESCE(substr(wf.sha256, 1, 12), '') || ')'
  FROM closeout_current AS c
  JOIN closeout_accepted AS a ON a.dispatch_id = c.dispatch_id
  JOIN closeout_current AS w ON w.closeout_id = a.closeout_id
  JOIN imported_file AS wf ON wf.file_id = w.file_id
 WHERE a.closeout_id <> c.closeout_id
   AND NOT EXISTS (SELECT 1 FROM closeout_reason AS r
                    WHERE r.closeout_id = c.closeout_id);

-- One row per current closeout (as of A): its columns, its verdict, and
-- whether it is the accepted one. Materialized: as a view it would be
-- rebuilt whole by each query that LEFT JOINs it (SQLite does not flatten a
-- join into a LEFT JOIN's right side), e.g. the explain queries.
-- Built in two parts, so neither needs a lookup table of the other:
--   * closeouts without a reason: reason NULL, all_reasons and detail '',
--     valid;
--   * closeouts with reasons, pivoted by rank (the seven ranks are fixed by
--     the SPEC): codes and details joined in precedence order without
--     GROUP_CONCAT/string_agg, whose order SQLite 3.40 does not guarantee.
--     Each present reason adds ';CODE' / '; detail' and substr drops the
--     first separator. Grouped in the primary key's order: no sort.
CREATE TEMP TABLE closeout_eval AS
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
       CAST(NULL AS TEXT) AS reason,
       '' AS all_reasons,
       '' AS detail,
       1 AS is_valid,
       CASE WHEN a.closeout_id IS NULL THEN 0 ELSE 1 END AS is_accepted
  FROM closeout_current AS c
  LEFT JOIN closeout_accepted AS a ON a.dispatch_id = c.dispatch_id
                                  AND a.closeout_id = c.closeout_id
 WHERE NOT EXISTS (SELECT 1 FROM closeout_reason AS r
                    WHERE r.closeout_id = c.closeout_id)
UNION ALL
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
       COALESCE(p.code1, p.code2, p.code3, p.code4, p.code5, p.code6,
                p.code7),
       substr(COALESCE(';' || p.code1, '') || COALESCE(';' || p.code2, '')
           || COALESCE(';' || p.code3, '') || COALESCE(';' || p.code4, '')
           || COALESCE(';' || p.code5, '') || COALESCE(';' || p.code6, '')
           || COALESCE(';' || p.code7, ''), 2),
       substr(COALESCE('; ' || p.detail1, '') || COALESCE('; ' || p.detail2, '')
           || COALESCE('; ' || p.detail3, '') || COALESCE('; ' || p.detail4, '')
           || COALESCE('; ' || p.detail5, '') || COALESCE('; ' || p.detail6, '')
           || COALESCE('; ' || p.detail7, ''), 3),
       CASE WHEN p.first_rank = 7 THEN 1 ELSE 0 END,
       0   -- a closeout with a reason is never the accepted one
  FROM (SELECT r.closeout_id,
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
          FROM closeout_reason AS r
         GROUP BY r.closeout_id) AS p
  JOIN closeout_current AS c ON c.closeout_id = p.closeout_id;
CREATE UNIQUE INDEX closeout_eval_id ON closeout_eval (closeout_id);
CREATE INDEX closeout_eval_dispatch ON closeout_eval (dispatch_id);

-- SPEC §3: "Every closeout with at least one reason is non-compensable
-- service." All of them: the --from filter (submitted_day >= from_day) is
-- the listing query's, after the rules ran over everything up to A.
CREATE TEMP VIEW noncompensable AS
SELECT e.*
  FROM closeout_eval AS e
 WHERE e.reason IS NOT NULL;
