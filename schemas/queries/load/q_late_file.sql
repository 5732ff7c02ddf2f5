-- q_late_file.sql -- README "Late files" (issue 16): is the file :file_id
-- late -- does its name sort (byte order) before files of its kind that
-- were loaded before it? -- and how many of its keys had, until it was
-- imported, their current version from such a file. SPEC §2 stays: the
-- later import wins, so the late file's versions are now current; this
-- only counts what that changed, for the warning. One row: the number of
-- those files, the first of them by name, the keys replaced. The keys are
-- counted only when there is such a file (CASE evaluates its THEN only
-- when WHEN holds): on an ordinary night there is none, and counting would
-- look up every row of the file again (65-80 ms of a 200k-row file).
-- A name delivered again (an undated `closeouts.csv`, replaced every
-- night) is judged against the files loaded since that name was last
-- loaded (since = `since`), not against the whole history: once a file
-- named `closeouts_2027-01-28.csv` had been loaded, every later night's
-- `closeouts.csv` was "late" for the rest of the database's life (QA pass
-- 40, tests/e2e/t9990). The night after such a file it is still warned
-- about, once: it was imported after a file whose name sorts after it.
WITH me AS (
    SELECT file_id, name, kind FROM imported_file WHERE file_id = :file_id
), since AS (
    SELECT coalesce(max(p.file_id), 0) AS file_id
      FROM imported_file AS p, me
     WHERE p.kind = me.kind AND p.status = 'loaded' AND p.name = me.name
       AND p.file_id < me.file_id
), later_named AS (
    SELECT f.file_id, f.name
      FROM imported_file AS f, me, since
     WHERE f.kind = me.kind AND f.status = 'loaded'
       AND f.file_id < me.file_id AND f.name > me.name
       AND f.file_id > since.file_id
), replaced AS (
    SELECT 1
      FROM dispatch AS d, me
     WHERE me.kind = 'dispatches' AND d.file_id = me.file_id
       AND (SELECT p.file_id FROM dispatch AS p
             WHERE p.dispatch_id = d.dispatch_id AND p.file_id < me.file_id
             ORDER BY p.file_id DESC LIMIT 1)
           IN (SELECT file_id FROM later_named)
    UNION ALL
    SELECT 1
      FROM registration AS r, me
     WHERE me.kind = 'registrations' AND r.file_id = me.file_id
       AND (SELECT p.file_id FROM registration AS p
             WHERE p.serial_norm = r.serial_norm
               AND p.dealer_id = r.dealer_id
               AND p.registered_day = r.registered_day
               AND p.file_id < me.file_id
             ORDER BY p.file_id DESC LIMIT 1)
           IN (SELECT file_id FROM later_named)
    UNION ALL
    SELECT 1
      FROM closeout AS c, me
     WHERE me.kind = 'closeouts' AND c.file_id = me.file_id
       AND (SELECT p.file_id FROM closeout AS p
             WHERE p.submitted_at = c.submitted_at
               AND p.dealer_id = c.dealer_id
               AND p.dispatch_id = c.dispatch_id
               AND p.file_id < me.file_id
             ORDER BY p.file_id DESC LIMIT 1)
           IN (SELECT file_id FROM later_named)
)
SELECT (SELECT count(*) FROM later_named),
       (SELECT name FROM later_named ORDER BY name LIMIT 1),
       CASE WHEN EXISTS (SELECT 1 FROM later_named)
            THEN (SELECT count(*) FROM replaced) ELSE 0 END;
