-- q_noncomp_listing.sql -- SPEC §4 `Non-compensable`: "Dealer · Dispatch ID ·
-- Serial number · Submitted · Completed · Labor hours · Reason · All reasons
-- · Detail · Source file · Source line." SPEC §3: `--from D` keeps the rows
-- "with submitted_at on or after D", after the rules ran over everything up
-- to A. Ordered by submission, then the closeout key; closeout_id last makes
-- the order total whatever the data.
-- New (README "Changes since the previous report"): 'yes' for a closeout
-- whose key the previous report did not list, 'no' for one it did, blank
-- when there is no previous report (history_changes.sql). The dealer's name
-- follows its code (SPEC §4 "Dealer names", q_dealer_names.sql).
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
            ELSE 'no' END AS is_new
  FROM noncompensable AS n
 CROSS JOIN run_ctx AS x
 CROSS JOIN changes_ctx AS p
  LEFT JOIN noncompensable_seen AS s ON s.closeout_id = n.closeout_id
  LEFT JOIN dealer_name AS dn ON dn.dealer_id = n.dealer_id
 WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day
 ORDER BY n.submitted_at, n.dealer_id, n.dispatch_id, n.file_id, n.line,
          n.closeout_id;
