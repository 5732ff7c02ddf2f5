-- pg_load_closeouts.sql -- PostgreSQL only (see pg_load_stage.sql): a
-- closeouts file's staged rows into closeout.
-- SPEC §2: a key (dealer_id, dispatch_id, submitted_at) repeated inside
-- the file keeps its first line; each later line is rejected naming it, in
-- the words of the SQLite path (etl/load.c, load_record and key_words;
-- tests/e2e/t0230 compares the two). Rows go in line order.
UPDATE load_stage AS s
   SET reason = 'closeout key (dealer_id, dispatch_id, submitted_at) '
                || 'repeats line ' || f.first_line || ' of this file'
  FROM (SELECT line, min(line) OVER (PARTITION BY submitted_at, dealer_id,
                                                  dispatch_id)
                     AS first_line
          FROM load_stage WHERE reason IS NULL) AS f
 WHERE s.line = f.line AND f.line > f.first_line;
INSERT INTO closeout (file_id, line, dealer_id, submitted_at, submitted_day,
                      dispatch_id, serial_number, serial_norm, model,
                      model_norm, completed_on, completed_day, technician,
                      labor_hours, resolution_code, parts)
SELECT CAST(:file_id AS INTEGER), line, dealer_id, submitted_at,
       submitted_day, dispatch_id, serial_number, serial_norm, model,
       model_norm, completed_on, completed_day, technician, labor_hours,
       resolution_code, parts
  FROM load_stage
 WHERE reason IS NULL
 ORDER BY line;
