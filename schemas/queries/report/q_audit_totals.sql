-- q_audit_totals.sql -- SPEC §4 `Run`: "Below the files, apart, the
-- database's totals since its first import (files, rows read, loaded,
-- rejected)": every file ever loaded or refused, once per bytes.
SELECT COUNT(*),
       COALESCE(SUM(CASE WHEN f.status = 'loaded' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN f.status = 'refused' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(f.rows_read), 0),
       COALESCE(SUM(f.rows_loaded), 0),
       COALESCE(SUM(f.rows_rejected), 0)
  FROM imported_file AS f;
