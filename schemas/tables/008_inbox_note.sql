-- 008_inbox_note.sql -- schema version 8: what a `run` found in its inbox
-- besides the feed files, for the audit of its night.
--
-- Why (stop 28's note, qa32): SPEC §4 has the audit as of A list "each
-- file that an import or run was given or found" in its night, and SPEC §5
-- has `run` name, in a warning, a file whose name matches no kind and an
-- inbox that holds no feed file. Those warnings went to stderr and the
-- --summary only: an auditor opening the night's audit did not see that a
-- file was delivered under a name svcrecon does not take
-- ("Dispatches 2026-03-12.txt") or that the night found nothing. They are
-- not deliveries (no kind, never read: delivery.kind and delivery.status
-- keep their meaning), so they are kept here and listed under the Run
-- sheet's Warnings (schemas/queries/report/q_audit_warnings.sql).
--
-- One row per night, what and path (since stop 30 one per night and stray
-- name, one empty inbox a night: q_inbox_note_put.sql): `run --as-of A` records its notes
-- (app/batch.c) before its report, in a transaction of its own, unless
-- the night of A already holds the same note; so a night run again after
-- a kill, or a scheduler's retry, adds nothing and writes the same bytes.
-- A note is the night's for good, as a delivery is: a night run again
-- after the stray file was taken away still lists it (it was found).
-- Portable SQL, as 001_tables.sql; note_id is an identity column on
-- PostgreSQL (pg/pg008_after.sql).

CREATE TABLE inbox_note (
    note_id         INTEGER PRIMARY KEY,   -- the order the notes were made
    night_as_of_day INTEGER NOT NULL,      -- the run's as-of date (day number)
    what            TEXT NOT NULL
                    CHECK (what IN ('stray_file', 'empty_inbox')),
    name            TEXT NOT NULL,         -- stray_file: the file's name;
                                           -- empty_inbox: the inbox as given
    path            TEXT NOT NULL,         -- as given (the inbox and the name)
    noted_at        TEXT NOT NULL          -- UTC wall clock
);
CREATE INDEX inbox_note_night ON inbox_note (night_as_of_day);
