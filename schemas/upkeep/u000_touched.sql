-- u000_touched.sql -- issue 15: the keys one load touched, for the upkeep
-- (upkeep.sql). TEMP tables of the loading connection, emptied before each
-- file's touch_*.sql fills them; all of it inside the file's transaction.
-- SPEC §6: "each file loads in one transaction" -- the kept rule state moves
-- with the file, wholly in or wholly out.
CREATE TEMP TABLE IF NOT EXISTS touched_closeout (
    closeout_id INTEGER PRIMARY KEY    -- reasons 1-6 to compute again
);
-- Dispatches by the row id of their current version (cur_dispatch's key):
-- a list walked in that order reads cur_dispatch in storage order.
CREATE TEMP TABLE IF NOT EXISTS touched_dispatch (
    dispatch_row_id INTEGER PRIMARY KEY  -- accepted closeout, check 7 again
);
CREATE TEMP TABLE IF NOT EXISTS touched_exception (
    dispatch_row_id INTEGER PRIMARY KEY  -- registration exceptions again
);
DELETE FROM touched_closeout;
DELETE FROM touched_dispatch;
DELETE FROM touched_exception;
-- The closeouts whose verdict (reason, all_reasons, detail, is_valid,
-- is_accepted) is written again: those checked again, and every closeout
-- of a dispatch whose accepted closeout is picked again (check 7).
CREATE TEMP TABLE IF NOT EXISTS touched_eval (
    closeout_id INTEGER PRIMARY KEY
);
DELETE FROM touched_eval;
