-- q_explain_rejected_unread.sql -- `explain DISPATCH_ID`: how many rejected
-- rows were stored before schema version 6, whose dispatch id was not kept
-- (NULL; 006_rejected_dispatch.sql): explain cannot tell whether they name
-- the dispatch, and says so instead of guessing. Index rejected_row_dispatch.
SELECT COUNT(*) FROM rejected_row WHERE dispatch_id IS NULL;
