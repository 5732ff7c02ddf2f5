-- q_report_context.sql -- SPEC §3: the one row of TEMP run_ctx (r010) for a
-- report run: the as-of date A and the --from date D (NULL when not given).
-- Bound by reports/report.c before the rules (r020…) run.
INSERT INTO run_ctx (as_of, as_of_day, from_day)
VALUES (:as_of, :as_of_day, :from_day);
