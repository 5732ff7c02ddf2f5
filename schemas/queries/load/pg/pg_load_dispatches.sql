-- pg_load_dispatches.sql -- PostgreSQL only (see pg_load_stage.sql): a
-- dispatches file's staged rows into dispatch.
-- SPEC §2: a dispatch_id repeated inside the file keeps its first line;
-- each later line is rejected naming it, in the words of the SQLite path
-- (etl/load.c, load_record and key_words; tests/e2e/t0230 compares the
-- two). Rows go in line order, so their ids follow the file as on SQLite.
UPDATE load_stage AS s
   SET reason = 'dispatch_id repeats line ' || f.first_line
                || ' of this file'
  FROM (SELECT line, min(line) OVER (PARTITION BY dispatch_id) AS first_line
          FROM load_stage WHERE reason IS NULL) AS f
 WHERE s.line = f.line AND f.line > f.first_line;
INSERT INTO dispatch (file_id, line, dispatch_id, dispatched_at,
                      dispatched_day, model, model_norm, serial_number,
                      serial_norm, provider_id, customer_name,
                      customer_postal_code, problem_code, status)
SELECT CAST(:file_id AS INTEGER), line, dispatch_id, dispatched_at,
       dispatched_day, model, model_norm, serial_number, serial_norm,
       provider_id, customer_name, customer_postal_code, problem_code, status
  FROM load_stage
 WHERE reason IS NULL
 ORDER BY line;
