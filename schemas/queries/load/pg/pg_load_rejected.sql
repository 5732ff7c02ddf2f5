-- pg_load_rejected.sql -- PostgreSQL only (see pg_load_stage.sql): the
-- file's rejected rows -- those that failed the checks and the key
-- repeats just marked -- in line order, as the SQLite path stores them
-- while reading (so their ids follow the file there and here).
-- dispatch_id: the id as written, trimmed (feed_dispatch_id_of; a key
-- repeat's parsed id is the same), '' when none (006_rejected_dispatch).
INSERT INTO rejected_row (file_id, line, reason, raw, dispatch_id)
SELECT CAST(:file_id AS INTEGER), line, reason, raw,
       COALESCE(dispatch_id, '')
  FROM load_stage
 WHERE reason IS NOT NULL
 ORDER BY line;
