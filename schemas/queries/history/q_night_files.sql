-- q_night_files.sql -- SPEC §4 `Run`: the files of the night (night_ctx,
-- q_night_ctx.sql), each once, with what became of it. A file is its bytes
-- under its file name (its path when it could not be read): the same bytes
-- under a second name are listed too, skipped; it is listed at its first delivery
-- of the night, so a night run again after a kill, or a scheduler's retry,
-- lists each file once and as it first happened: loaded, refused,
-- unreadable, or skipped (its bytes were imported before the night: the
-- earlier file and when it was imported are named). The Run sheet, the
-- Rejected rows sheet and the --summary JSON read this table. Besides
-- lo < delivery_id <= hi, the night holds the deliveries made for A by a
-- run as of A after its night had ended (a late file given to a re-run of
-- an old night: 007_delivery_night.sql); only those -- the newer nights'
-- files between stay out. size_bytes
-- is BIGINT, as delivery's and imported_file's are on PostgreSQL
-- (pg001_after, pg005_after): INTEGER is 32 bits there, and a night with a
-- file of 2 GiB or more failed its report, "integer out of range" (70,
-- tests/e2e/t7500). SQLite stores either the same.
CREATE TEMP TABLE night_file (
    delivery_id   INTEGER PRIMARY KEY,
    file_id       INTEGER,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    sha256        TEXT,
    rows_read     INTEGER NOT NULL,
    rows_loaded   INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    path          TEXT NOT NULL
);
INSERT INTO night_file (delivery_id, file_id, name, kind, sha256, rows_read,
                        rows_loaded, rows_rejected, status, reason,
                        size_bytes, path)
SELECT v.delivery_id,
       v.file_id,
       v.name,
       v.kind,
       v.sha256,
       CASE WHEN v.status = 'loaded' THEN f.rows_read ELSE 0 END,
       CASE WHEN v.status = 'loaded' THEN f.rows_loaded ELSE 0 END,
       CASE WHEN v.status = 'loaded' THEN f.rows_rejected ELSE 0 END,
       v.status,
       CASE WHEN v.status = 'skipped'
                THEN 'same bytes as ' || f.name || ', imported '
                     || REPLACE(REPLACE(f.imported_at, 'T', ' '), 'Z',
                                ' UTC')
            ELSE v.reason END,
       v.size_bytes,
       v.path
  FROM night_ctx AS n
  JOIN delivery AS v
    ON v.delivery_id > n.lo
   AND (v.delivery_id <= n.hi OR v.night_as_of_day = n.as_of_day)
  LEFT JOIN imported_file AS f ON f.file_id = v.file_id
 WHERE NOT EXISTS (SELECT 1 FROM delivery AS w
                    WHERE w.delivery_id > n.lo
                      AND w.delivery_id < v.delivery_id
                      AND (w.delivery_id <= n.hi
                           OR w.night_as_of_day = n.as_of_day)
                      AND ((w.sha256 = v.sha256 AND w.name = v.name)
                           OR (v.sha256 IS NULL AND w.sha256 IS NULL
                               AND w.path = v.path)))
 ORDER BY v.delivery_id;
