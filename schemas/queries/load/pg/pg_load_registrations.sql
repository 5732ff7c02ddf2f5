-- pg_load_registrations.sql -- PostgreSQL only (see pg_load_stage.sql): a
-- registrations file's staged rows into registration.
-- SPEC §2: a key (dealer_id, normalized serial, registered_on) repeated
-- inside the file keeps its first line; each later line is rejected naming
-- it, in the words of the SQLite path (etl/load.c, load_record and
-- key_words; tests/e2e/t0230 compares the two). Rows go in line order.
UPDATE load_stage AS s
   SET reason = 'registration key (dealer_id, serial_number, registered_on) '
                || 'repeats line ' || f.first_line || ' of this file'
  FROM (SELECT line, min(line) OVER (PARTITION BY serial_norm, dealer_id,
                                                  registered_day)
                     AS first_line
          FROM load_stage WHERE reason IS NULL) AS f
 WHERE s.line = f.line AND f.line > f.first_line;
INSERT INTO registration (file_id, line, dealer_id, dealer_name, model,
                          model_norm, serial_number, serial_norm,
                          registered_on, registered_day, wmp_selected,
                          removed_on, removed_day)
SELECT CAST(:file_id AS INTEGER), line, dealer_id, dealer_name, model,
       model_norm, serial_number, serial_norm, registered_on, registered_day,
       wmp_selected, removed_on, removed_day
  FROM load_stage
 WHERE reason IS NULL
 ORDER BY line;
