-- 007_delivery_night.sql -- schema version 7: the night a delivery was made
-- for. `run --as-of A` records A (a report as of A follows its imports);
-- `import`, which does not know its report, and deliveries made before
-- this version hold NULL.
--
-- Why (qa22): the night of a report as of A is the deliveries after the
-- previous report's and, once a later as-of has been recorded, up to A's
-- own recorded end (005_delivery.sql), so that re-running an old night
-- does not take in the newer nights' files. A file that the re-run itself
-- was given (CITS delivers a file of that night late, the analyst runs
-- the night again) lay after that end: the run loaded it, said its
-- rejected rows were "listed in the audit workbook", listed its calls,
-- and its audit showed neither the file nor its rejected rows. The night
-- of A now also holds every delivery made for A after its end
-- (schemas/queries/history/q_night_files.sql).
-- Portable SQL, as 001_tables.sql.

ALTER TABLE delivery ADD COLUMN night_as_of_day INTEGER;
