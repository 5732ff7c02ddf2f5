-- q_statement_noncomp.sql -- SPEC §4 "Dealer statements": the
-- `Non-compensable` listing (q_noncomp_listing.sql: the same columns, the
-- same rows, its --from filter) ordered by dealer first, for
-- reports/statements.c. Then a blank column the C code fills with what
-- would make the closeout compensable (each reason's remedy, from
-- code_meaning), and the dealer again as the key it compares.
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
       CAST(NULL AS TEXT) AS to_be_paid,
       n.dealer_id AS dealer_key
  FROM noncompensable AS n
 CROSS JOIN run_ctx AS x
 CROSS JOIN changes_ctx AS p
  LEFT JOIN noncompensable_seen AS s ON s.closeout_id = n.closeout_id
  LEFT JOIN dealer_name AS dn ON dn.dealer_id = n.dealer_id
 WHERE x.from_day IS NULL OR n.submitted_day >= x.from_day
 ORDER BY n.dealer_id, n.submitted_at, n.dispatch_id, n.file_id, n.line,
          n.closeout_id;
