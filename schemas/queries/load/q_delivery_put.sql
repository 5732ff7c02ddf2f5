-- q_delivery_put.sql -- records one delivery of a file (005_delivery.sql):
-- always for a loaded file; for a skip, a refusal or an unreadable file
-- only when its night does not already hold the same file with that
-- outcome (same bytes under the same file name loaded or skipped, or
-- refused; same path unreadable), so that a night run again after a kill,
-- or a scheduler's retry of a finished night, adds no row. The same bytes
-- under another name are another file of the night (an auditor looks for
-- it by its name): its skip or refusal is recorded.
--
-- Its night: for `run --as-of A` when A is already recorded (a night run
-- again), the deliveries after the end of the night A followed (its
-- recorded previous report's delivered_upto); otherwise (no report of A
-- yet, or `import`, which does not know its report) the open night, the
-- deliveries after every recorded report's. night_as_of_day (version 7) is
-- A for `run`, NULL for `import`. A night that ended before a later
-- report's holds only its own deliveries (up to its delivered_upto, and
-- those made for A since), as q_night_ctx.sql and q_night_files.sql read
-- it: the newer nights' deliveries of the same file do not make A hold it
-- (qa37: `run --as-of A` again after A+1 had loaded the files recorded no
-- skip, and A's audit listed none of the files the run was given).
INSERT INTO delivery (file_id, name, path, kind, sha256, size_bytes, status,
                      reason, delivered_at, night_as_of_day)
SELECT :file_id, :name, :path, :kind, :sha, :size, :status, :reason, :now,
       :night_as_of_day
 WHERE :status = 'loaded'
    OR NOT EXISTS (
        SELECT 1
          FROM delivery AS v
         WHERE v.delivery_id >
               CASE WHEN EXISTS (SELECT 1 FROM report_run AS a
                                  WHERE a.as_of_day = :night_as_of_day)
                    THEN COALESCE((SELECT p.delivered_upto
                                     FROM report_run AS a
                                     JOIN report_run AS p
                                       ON p.as_of_day = a.previous_as_of_day
                                    WHERE a.as_of_day = :night_as_of_day),
                                  0)
                    ELSE (SELECT COALESCE(MAX(r.delivered_upto), 0)
                            FROM report_run AS r) END
           -- and before the end of night A when A ended before a later
           -- report's night (q_night_ctx.sql's hi), or made for A since:
           -- a newer night's files are not A's (qa37)
           AND (v.night_as_of_day = :night_as_of_day
                OR NOT EXISTS (SELECT 1 FROM report_run AS l
                                WHERE l.as_of_day > :night_as_of_day)
                OR v.delivery_id <=
                   COALESCE((SELECT a.delivered_upto FROM report_run AS a
                              WHERE a.as_of_day = :night_as_of_day),
                            v.delivery_id))
           AND ((:status = 'skipped' AND v.sha256 = :sha
                 AND v.name = :name AND v.status IN ('loaded', 'skipped'))
             OR (:status = 'refused' AND v.sha256 = :sha
                 AND v.name = :name AND v.status = 'refused')
             OR (:status = 'unreadable' AND v.path = :path
                 AND v.status = 'unreadable')));
