-- touch_closeouts.sql -- SPEC §2 closeouts: "Key: (dealer_id, dispatch_id,
-- submitted_at); a later import of the same key supersedes." The file
-- :file_id was imported last: each of its rows becomes the current version
-- of its key (the version it supersedes and its reasons go; upkeep.sql
-- writes the new row with its verdict, read from the file's own row, so
-- that the row is written once: no UPDATE pass). Its
-- closeouts get checks 1-6; the dispatches they name get their accepted
-- closeout and check 7 again (a new valid closeout may be submitted before
-- the accepted one, a superseding version may no longer be valid). A blank
-- or unknown dispatch id names no dispatch: such a closeout is never valid
-- (when the dispatch arrives later, its file touches it). Every
-- statement is driven by the file's rows (index closeout_file), never by a
-- scan of the history: a night costs what it brings.
DELETE FROM cur_closeout_reason
 WHERE closeout_id IN (SELECT o.closeout_id
                         FROM closeout AS c
                         JOIN cur_closeout AS o
                           ON o.dealer_id = c.dealer_id
                          AND o.dispatch_id = c.dispatch_id
                          AND o.submitted_at = c.submitted_at
                        WHERE c.file_id = :file_id);
DELETE FROM cur_closeout
 WHERE closeout_id IN (SELECT o.closeout_id
                         FROM closeout AS c
                         JOIN cur_closeout AS o
                           ON o.dealer_id = c.dealer_id
                          AND o.dispatch_id = c.dispatch_id
                          AND o.submitted_at = c.submitted_at
                        WHERE c.file_id = :file_id);
INSERT INTO touched_closeout (closeout_id)
SELECT c.closeout_id FROM closeout AS c WHERE c.file_id = :file_id;
-- A dispatch named by several of the file's closeouts is listed once (the
-- list's key; no DISTINCT, which sorted).
INSERT INTO touched_dispatch (dispatch_row_id)
SELECT d.dispatch_row_id
  FROM closeout AS c
  JOIN cur_dispatch AS d ON d.dispatch_id = c.dispatch_id
 WHERE c.file_id = :file_id
ON CONFLICT (dispatch_row_id) DO NOTHING;
