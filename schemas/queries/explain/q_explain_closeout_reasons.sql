-- q_explain_closeout_reasons.sql -- `explain`: every reason of one closeout
-- (r030/r040's closeout_reason, SPEC §3 "Closeout checks"), in order of
-- precedence: the first is its primary reason. Params: :closeout_id.
SELECT r.rank,
       r.code,
       r.detail
  FROM closeout_reason AS r
 WHERE r.closeout_id = :closeout_id
 ORDER BY r.rank;
