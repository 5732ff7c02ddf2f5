-- pg_load_rejected.sql -- PostgreSQL only (see pg_load_stage.sql): the
-- file's rejected rows -- those that failed the checks and the key
-- repeats just marked -- in line order, as the SQLite path stores them
-- while reading (so their ids follow the file there and here).
INSERT INTO rejected_row (file_id, line, reason, raw)
SELECT CAST(:file_id AS INTEGER), line, reason, raw
  FROM load_stage
 WHERE reason IS NOT NULL
 ORDER BY line;
