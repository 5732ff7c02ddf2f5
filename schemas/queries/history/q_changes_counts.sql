-- q_changes_counts.sql -- README "Changes since the previous report": one
-- row, for both Summary sheets and the --summary JSON: the previous report's
-- as-of date (NULL: none) and the count of each kind of change. New
-- non-compensable closeouts are counted among the rows the listing shows
-- (SPEC §3: after --from), as its New column marks them.
SELECT p.previous_as_of,
       (SELECT COUNT(*) FROM unclosed_change AS c
         WHERE c.change_rank = 1) AS n_newly_unclosed,
       (SELECT COUNT(*) FROM unclosed_change AS c
         WHERE c.change_rank = 2) AS n_closed,
       (SELECT COUNT(*) FROM unclosed_change AS c
         WHERE c.change_rank = 2 AND c.closed_how = 'closeout')
           AS n_closed_by_closeout,
       (SELECT COUNT(*) FROM unclosed_change AS c
         WHERE c.change_rank = 2 AND c.closed_how = 'cancelled')
           AS n_cancelled,
       (SELECT COUNT(*) FROM unclosed_change AS c
         WHERE c.change_rank = 2 AND c.closed_how = 'other')
           AS n_closed_other,
       (SELECT COUNT(*) FROM unclosed_change AS c
         WHERE c.change_rank = 3) AS n_bucket_moved,
       (SELECT COUNT(*) FROM noncompensable AS n
         WHERE p.previous_as_of_day IS NOT NULL
           AND (x.from_day IS NULL OR n.submitted_day >= x.from_day)
           AND NOT EXISTS (SELECT 1 FROM noncompensable_seen AS s
                            WHERE s.closeout_id = n.closeout_id))
           AS n_new_noncompensable
  FROM changes_ctx AS p
 CROSS JOIN run_ctx AS x;
