-- q_inbox_note_put.sql -- records what `run --as-of A` found in its inbox
-- besides the feed files (schemas/tables/008_inbox_note.sql): a file whose
-- name matches no kind, or no feed file at all. Once per night, what and
-- path: a night run again after a kill, or a scheduler's retry, adds no
-- row (and so writes the same audit).
INSERT INTO inbox_note (night_as_of_day, what, name, path, noted_at)
SELECT :night_as_of_day, :what, :name, :path, :now
 WHERE NOT EXISTS (SELECT 1 FROM inbox_note AS i
                    WHERE i.night_as_of_day = :night_as_of_day
                      AND i.what = :what
                      AND i.path = :path);
