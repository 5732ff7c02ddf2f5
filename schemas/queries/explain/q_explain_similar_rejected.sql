-- q_explain_similar_rejected.sql -- as q_explain_similar_ids.sql, for the
-- ids that rejected rows name (schema version 6: rejected_row.dispatch_id,
-- index rejected_row_dispatch): `explain d8` when only rows naming 'D8'
-- were delivered, and all of them rejected.
-- Params: :id, :v1 .. :v5.
SELECT DISTINCT j.dispatch_id
  FROM rejected_row AS j
 WHERE j.dispatch_id IN (:v1, :v2, :v3, :v4, :v5)
   AND j.dispatch_id <> :id
 ORDER BY j.dispatch_id
 LIMIT 5;
