-- q_explain_refused_files.sql -- `explain DISPATCH_ID` of an id never
-- imported: the dispatches and closeouts files refused whole at import
-- (SPEC §2 "Rejected rows and files"), latest first, with their count.
-- Their bytes are not stored, so a call delivered only in one of them
-- cannot be found: explain names them instead of a bare "not found" (an
-- auditor could conclude the call never arrived). imported_file holds
-- every refused file since the first schema version (old databases too);
-- the as-of date does not filter them: a refused file has no business date.
-- Params: :n (how many to name).
SELECT f.name, f.imported_at, f.reason, COUNT(*) OVER () AS n_refused
  FROM imported_file AS f
 WHERE f.status = 'refused'
   AND f.kind IN ('dispatches', 'closeouts')
 ORDER BY f.file_id DESC
 LIMIT :n;
