-- q_delivery_put.sql -- records one delivery of a file (004_delivery.sql):
-- always for a loaded file; for a skip, a refusal or an unreadable file
-- only when the open night (after the last recorded report) does not
-- already hold the same file with that outcome -- same bytes loaded or
-- skipped, same bytes refused, same path unreadable -- so a night run again
-- after a kill adds no row.
INSERT INTO delivery (file_id, name, path, kind, sha256, size_bytes, status,
                      reason, delivered_at)
SELECT :file_id, :name, :path, :kind, :sha, :size, :status, :reason, :now
 WHERE :status = 'loaded'
    OR NOT EXISTS (
        SELECT 1
          FROM delivery AS v
         WHERE v.delivery_id > (SELECT COALESCE(MAX(r.delivered_upto), 0)
                                  FROM report_run AS r)
           AND ((:status = 'skipped' AND v.sha256 = :sha
                 AND v.status IN ('loaded', 'skipped'))
             OR (:status = 'refused' AND v.sha256 = :sha
                 AND v.status = 'refused')
             OR (:status = 'unreadable' AND v.path = :path
                 AND v.status = 'unreadable')));
