-- q_about_example.sql -- a real row of a workbook for the About sheet's
-- worked example of `svcrecon explain` (SPEC §4 "how to trace a row"): the
-- first row of the workbook's main listing that names a dispatch, in the
-- listing's order and with its filter (q_unclosed_listing.sql,
-- q_noncomp_listing.sql, q_audit_reg_exceptions.sql). :book is 0
-- (unclosed), 1 (non-compensable) or 2 (audit); the other two parts are
-- skipped at once (their WHERE is false before any row is read). No row
-- when the listing is empty. Each subquery is named: PostgreSQL 15 wants
-- an alias for a subquery in FROM (SQLite does not mind).
SELECT * FROM (
    SELECT u.dispatch_id, u.file_name, u.line
      FROM unclosed_call AS u
     WHERE :book = 0
     ORDER BY u.dispatched_at, u.dispatch_id
     LIMIT 1) AS unclosed_first
UNION ALL
SELECT * FROM (
    SELECT n.dispatch_id, n.file_name, n.line
      FROM noncompensable AS n
     CROSS JOIN run_ctx AS x
     WHERE :book = 1 AND n.dispatch_id <> ''
       AND (x.from_day IS NULL OR n.submitted_day >= x.from_day)
     ORDER BY n.submitted_at, n.dealer_id, n.dispatch_id, n.file_id, n.line,
              n.closeout_id
     LIMIT 1) AS noncomp_first
UNION ALL
SELECT * FROM (
    SELECT r.dispatch_id, r.file_name, r.line
      FROM registration_exception AS r
     CROSS JOIN run_ctx AS x
     WHERE :book = 2
       AND (x.from_day IS NULL OR r.dispatched_day >= x.from_day)
     ORDER BY r.dispatched_at, r.dispatch_id, r.rank
     LIMIT 1) AS exception_first;
