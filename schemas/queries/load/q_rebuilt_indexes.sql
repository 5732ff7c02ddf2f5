-- q_rebuilt_indexes.sql -- issue 15 (a first night's load at scale): the
-- secondary indexes a file of kind :kind builds after its rows instead of
-- row by row, with their definitions, when the file is bigger (:bytes)
-- than every file of its kind loaded before together -- it then brings
-- more rows than the tables it feeds hold: always on a first night. No
-- row: the file keeps every index (a night after the first).
--
-- Why: such an index takes the rows in random key order (serials); past
-- the 8 MiB page cache every row then costs a page read and a page
-- write. Dropped at the start of the file's transaction and created again
-- from the definition read here (CREATE INDEX sorts: sequential), after
-- the file's touch_KIND.sql and before upkeep.sql: every statement of the
-- upkeep finds the indexes it probes (bench/README.md, "A first night's
-- indexes built after the rows"). The definitions stay where the schema wrote
-- them (schemas/tables/001_tables.sql, 004_rule_state.sql): read back
-- from the catalog, not written twice. SQLite only: etl/load.c says why
-- PostgreSQL keeps its indexes.
--
-- Only indexes that no statement of the file reads before they are built
-- again: the unique keys (the duplicate-key lookups, the ON CONFLICT
-- targets) and the file_id indexes (touch_KIND.sql reads the file's rows
-- by them) stay. And only where it was measured to pay: the dispatches'
-- cur_dispatch_serial (1M: the file's load 30% less CPU). Tried and left
-- out, no gain at 200k or 1M: cur_registration_serial (a registrations
-- file is a fifth of a night's rows) and closeout_dispatch (the closeouts
-- come in time order, so their dispatch ids nearly so).
WITH rebuilt (kind, name) AS (
    VALUES ('dispatches', 'cur_dispatch_serial')
)
SELECT m.name, m.sql
  FROM rebuilt AS r
  JOIN sqlite_master AS m ON m.type = 'index' AND m.name = r.name
 WHERE r.kind = :kind
   AND :bytes > (SELECT COALESCE(SUM(f.size_bytes), 0)
                   FROM imported_file AS f
                  WHERE f.kind = :kind AND f.status = 'loaded')
 ORDER BY m.name;
