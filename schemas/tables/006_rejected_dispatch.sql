-- 006_rejected_dispatch.sql -- schema version 6: a rejected row of a
-- dispatches or closeouts file keeps the dispatch id it names, so that
-- `explain DISPATCH_ID` can say that rows naming the call were rejected
-- (qa19: every row of a call rejected made explain say "not found", and
-- an auditor concluded the call never arrived).
--
-- dispatch_id is the dispatch_id field of the record as written, trimmed
-- as identifiers are (SPEC §2), read by the header's column position even
-- when the row was rejected for another field; '' when the record has no
-- such field (a registrations file, too few fields, a blank value, not
-- valid UTF-8, longer than 200 bytes). NULL: the row was rejected before
-- this version, when the loader did not keep it (the header of its file
-- is not stored, so it cannot be read back from the raw bytes); explain
-- says how many such rows there are instead of guessing.
-- Portable SQL, as 001_tables.sql.

ALTER TABLE rejected_row ADD COLUMN dispatch_id TEXT;
UPDATE rejected_row
   SET dispatch_id = ''
 WHERE file_id IN (SELECT f.file_id FROM imported_file AS f
                    WHERE f.kind = 'registrations');
CREATE INDEX rejected_row_dispatch ON rejected_row (dispatch_id);

-- explain's stories tell apart files of one base name (the *_tag columns
-- of schemas/queries/explain/, qa19): a lookup by name per file named.
CREATE INDEX imported_file_name ON imported_file (name);
