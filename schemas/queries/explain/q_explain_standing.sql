-- q_explain_standing.sql -- `explain`: where one dispatch stands as of A,
-- read from the rule tables of r020-r050 (nothing decided here):
--   'dispatched_after_as_of'  its current version is dated after A (SPEC §3:
--                             only dispatches on or before A take part);
--   'unclosed'                listed in unclosed_call (days open, bucket);
--   'closed'                  closeout_accepted names its accepted closeout;
--   'cancelled'               current status CANCELLED, so neither of the
--                             two above.
-- A NULL state would mean an OPEN dispatch on or before A that is neither
-- unclosed nor closed: the rules forbid it, the C code reports it as an
-- internal error. closeout_accepted names the accepted closeout by id;
-- closeout_current gives its file, line and submission. attempts = current
-- closeouts naming it as of A (SPEC §4 "Closeout attempts");
-- noncompensable = those with a reason.
-- Params: :dispatch_id. At most one row (dispatch_current is unique by id).
-- *_tag columns (last, qa19): the first twelve digits of the file's SHA-256
-- when another imported file has the same base name (an inbox delivering
-- "closeouts.csv" every night), else NULL: the text story shows it after
-- FILE:LINE so that an auditor can tell the deliveries apart, as the
-- workbooks' Source SHA-256 does.
SELECT d.dispatch_id,
       d.serial_number,
       d.dispatched_at,
       substr(d.dispatched_at, 1, 10) AS dispatched_on,
       d.status,
       CASE WHEN d.dispatched_day > x.as_of_day THEN 'dispatched_after_as_of'
            WHEN u.dispatch_id IS NOT NULL THEN 'unclosed'
            WHEN a.dispatch_id IS NOT NULL THEN 'closed'
            WHEN d.status = 'CANCELLED' THEN 'cancelled'
       END AS state,
       u.days_open,
       u.bucket_label,
       a.closeout_id AS accepted_closeout_id,
       w.file_name AS accepted_file_name,
       w.line AS accepted_line,
       w.submitted_at AS accepted_submitted_at,
       COALESCE(u.attempts,
                (SELECT COUNT(*) FROM closeout_eval AS e
                  WHERE e.dispatch_id = d.dispatch_id)) AS attempts,
       (SELECT COUNT(*) FROM noncompensable AS n
         WHERE n.dispatch_id = d.dispatch_id) AS noncompensable,
       d.file_name,
       d.line,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = w.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS accepted_file_tag,
       (SELECT substr(t.sha256, 1, 12) FROM imported_file AS t
         WHERE t.file_id = d.file_id
           AND EXISTS (SELECT 1 FROM imported_file AS o
                        WHERE o.name = t.name
                          AND o.file_id <> t.file_id)) AS file_tag
  FROM dispatch_current AS d
  CROSS JOIN run_ctx AS x
  LEFT JOIN unclosed_call AS u ON u.dispatched_at = d.dispatched_at
                              AND u.dispatch_id = d.dispatch_id
  LEFT JOIN closeout_accepted AS a ON a.dispatch_id = d.dispatch_id
  LEFT JOIN closeout_current AS w ON w.closeout_id = a.closeout_id
 WHERE d.dispatch_id = :dispatch_id
 ORDER BY d.dispatch_id;
