-- q_inbox_note_put.sql -- records what `run --as-of A` found in its inbox
-- besides the feed files (schemas/tables/008_inbox_note.sql): a file whose
-- name matches no kind, or no feed file at all. Once per night: a night
-- run again after a kill, or a scheduler's retry, adds no row (and so
-- writes the same audit). A stray is one note per file name, as a
-- delivery is one per name and bytes (q_night_files.sql), and an empty
-- inbox one note a night: keyed by the path as given, the same inbox given
-- as `in` by one run and `/srv/in` by the next made two notes of one file
-- (qa37's note). The first note keeps the path it was found under.
INSERT INTO inbox_note (night_as_of_day, what, name, path, noted_at)
SELECT :night_as_of_day, :what, :name, :path, :now
 WHERE NOT EXISTS (SELECT 1 FROM inbox_note AS i
                    WHERE i.night_as_of_day = :night_as_of_day
                      AND i.what = :what
                      AND (i.what = 'empty_inbox' OR i.name = :name));
