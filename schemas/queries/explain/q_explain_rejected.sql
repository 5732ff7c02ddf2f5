-- q_explain_rejected.sql -- `explain --source` on a rejected row (SPEC §2
-- "Rejected rows and files"): its reason and its bytes as read.
-- Params: :rejected_id.
SELECT j.reason,
       j.raw
  FROM rejected_row AS j
 WHERE j.rejected_id = :rejected_id
 ORDER BY j.rejected_id;
