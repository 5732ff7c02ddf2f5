-- q_listing_views.sql -- the three listings of SPEC §4 as TEMP views, stated
-- once for the main workbooks (q_unclosed_listing.sql, q_noncomp_listing.sql,
-- q_audit_reg_exceptions.sql, in their order) and the dealer statements
-- (q_statement_*.sql: the same rows ordered by dealer, SPEC §4 "Dealer
-- statements": "the same rows as the main listings, filtered to the
-- dealer"). Columns in sheet order, then what only the ordering needs, then
-- the dealer the statements cut by, always last (dealer_key; the sheet
-- writer reads only the listing's columns). Created by reports/report.c
-- after the rules, dealer_name (q_dealer_names.sql) and the comparison with
-- the previous report (history_changes.sql).
--
-- source_sha256, after the source file and line (and New): the first 12
-- hex digits of the SHA-256 of the file the row comes from (the audit's
-- Run sheet lists it whole). Files are named by their base name, and a
-- feed delivered under the same name on two nights (dispatches.csv, every
-- night) gives two files of one name: the digest says which one, and
-- `sha256sum` ties it to the bytes an auditor holds. Twelve digits, not
-- 64: they tell files apart as well (a chance of 1 in 2^48 that two share
-- them) and keep a printed listing readable (README "Decisions":
-- Workbooks). substr(): SQLite and PostgreSQL alike.

-- `Unclosed calls` (SPEC §3: --from never applies).
CREATE TEMP VIEW unclosed_listing AS
SELECT u.dispatch_id,
       u.dispatched_at,
       u.days_open,
       u.bucket_label,
       u.provider_id,
       n.dealer_name,
       u.model,
       u.serial_number,
       u.customer_name,
       u.attempts,
       u.file_name,
       u.line,
       (SELECT substr(f.sha256, 1, 12)
          FROM cur_dispatch AS d
          JOIN imported_file AS f ON f.file_id = d.file_id
         WHERE d.dispatch_id = u.dispatch_id) AS source_sha256,
       u.provider_id AS dealer_key
  FROM unclosed_call AS u
  LEFT JOIN dealer_name AS n ON n.dealer_id = u.provider_id;

-- `Non-compensable` (SPEC §3: --from keeps submitted_at on or after D).
-- is_new: README "Changes since the previous report". to_be_paid is blank
-- here: a statement fills it (reports/statements.c) from code_meaning.
CREATE TEMP VIEW noncomp_listing AS
SELECT n.dealer_id,
       dn.dealer_name,
       n.dispatch_id,
       n.serial_number,
       n.submitted_at,
       n.completed_on,
       n.labor_hours,
       n.reason,
       n.all_reasons,
       n.detail,
       n.file_name,
       n.line,
       CASE WHEN p.previous_as_of_day IS NULL THEN NULL
            WHEN s.closeout_id IS NULL THEN 'yes'
            ELSE 'no' END AS is_new,
       (SELECT substr(f.sha256, 1, 12) FROM imported_file AS f
         WHERE f.file_id = n.file_id) AS source_sha256,
       CAST(NULL AS TEXT) AS to_be_paid,
       n.file_id,
       n.closeout_id,
       n.dealer_id AS dealer_key
  FROM noncompensable AS n
 CROSS JOIN run_ctx AS x
 CROSS JOIN changes_ctx AS p
  LEFT JOIN noncompensable_seen AS s ON s.closeout_id = n.closeout_id
  LEFT JOIN dealer_name AS dn ON dn.dealer_id = n.dealer_id
 WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day;

-- `Registration exceptions` (SPEC §3: --from keeps dispatches dated on or
-- after D).
CREATE TEMP VIEW exception_listing AS
SELECT e.dispatch_id,
       e.dispatched_at,
       e.serial_number,
       e.provider_id,
       n.dealer_name,
       e.code,
       e.detail,
       e.file_name,
       e.line,
       (SELECT substr(f.sha256, 1, 12)
          FROM cur_dispatch AS d
          JOIN imported_file AS f ON f.file_id = d.file_id
         WHERE d.dispatch_id = e.dispatch_id) AS source_sha256,
       e.rank,
       e.provider_id AS dealer_key
  FROM registration_exception AS e
 CROSS JOIN run_ctx AS x
  LEFT JOIN dealer_name AS n ON n.dealer_id = e.provider_id
 WHERE x.from_day IS NULL OR e.dispatched_day >= x.from_day;
