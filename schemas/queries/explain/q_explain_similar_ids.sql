-- q_explain_similar_ids.sql -- `explain DISPATCH_ID` of an id never
-- imported: imported ids that differ from it only in ASCII letter case or
-- spaces (qa19: "d1" for "D1", "D 1"), since dispatch ids compare exactly
-- (SPEC §2) and a mistyped case is the usual slip. The variants are made
-- by explain.c (upper, lower, without spaces, ...), each one seek of the
-- dispatch key index; never a scan.
-- Params: :id (as given, trimmed), :v1 .. :v5 (its variants).
SELECT DISTINCT d.dispatch_id
  FROM dispatch AS d
 WHERE d.dispatch_id IN (:v1, :v2, :v3, :v4, :v5)
   AND d.dispatch_id <> :id
 ORDER BY d.dispatch_id
 LIMIT 5;
