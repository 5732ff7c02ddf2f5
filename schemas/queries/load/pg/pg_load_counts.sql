-- pg_load_counts.sql -- PostgreSQL only (see pg_load_stage.sql): the
-- file's control totals as staged: rows loaded, rows rejected (SPEC §2:
-- with the rows read, which the loader counted, read = loaded + rejected).
SELECT count(*) FILTER (WHERE reason IS NULL),
       count(*) FILTER (WHERE reason IS NOT NULL)
  FROM load_stage;
