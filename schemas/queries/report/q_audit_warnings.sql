-- q_audit_warnings.sql -- the night's warnings, for the `Run` sheet: first
-- those about the files the night loaded (unknown columns, SPEC §2), in
-- delivery order, then as recorded; then what a `run` as of the night
-- found in its inbox besides the feed files (SPEC §5: a file whose name
-- matches no kind, an inbox with no feed file; 008_inbox_note.sql), in the
-- order found. File is the stray file's name, or the inbox as given.
SELECT x.name, x.message
  FROM (SELECT 0 AS part, n.delivery_id AS o1, w.rowid AS o2,
               n.name AS name, w.message AS message
          FROM night_file AS n
          JOIN file_warning AS w ON w.file_id = n.file_id
         WHERE n.status = 'loaded'
        UNION ALL
        SELECT 1, i.note_id, 0, i.name,
               CASE WHEN i.what = 'stray_file'
                    THEN 'found in the inbox as ' || i.path
                         || ': its name matches no kind (registrations*.csv, '
                         || 'dispatches*.csv, closeouts*.csv); left alone, '
                         || 'not imported (a feed under another name: '
                         || 'rename it, then run again)'
                    ELSE 'a run of this night found no feed file in this '
                         || 'inbox (registrations*.csv, dispatches*.csv, '
                         || 'closeouts*.csv); nothing was imported from it'
               END
          FROM night_ctx AS c
          JOIN inbox_note AS i ON i.night_as_of_day = c.as_of_day) AS x
 ORDER BY x.part, x.o1, x.o2;
