-- q_statement_dealers.sql -- SPEC §4 "Dealer statements": "every dealer that
-- has an unclosed call (as provider) or a non-compensable closeout as of A"
-- -- a row of the `Unclosed calls` listing (a blank provider is no dealer)
-- or of the `Non-compensable` listing (with its --from filter) -- with the
-- figures of its statement's Summary: unclosed calls and the oldest of them
-- (the first in the listing's order), non-compensable closeouts and their
-- labor hours, registration exceptions (same --from filter as the audit
-- listing). In dealer_id order, the order of the three q_statement_*
-- listings that reports/statements.c walks alongside (one pass each).
WITH u AS (
    SELECT w.provider_id AS dealer_id, w.n_unclosed, w.dispatch_id,
           w.dispatched_at, w.days_open
      FROM (SELECT c.provider_id, c.dispatch_id, c.dispatched_at,
                   c.days_open,
                   COUNT(*) OVER (PARTITION BY c.provider_id) AS n_unclosed,
                   ROW_NUMBER() OVER (PARTITION BY c.provider_id
                                      ORDER BY c.dispatched_at,
                                               c.dispatch_id) AS k
              FROM unclosed_call AS c
             WHERE c.provider_id <> '') AS w
     WHERE w.k = 1
), n AS (
    SELECT c.dealer_id, COUNT(*) AS n_noncomp,
           COALESCE(SUM(c.labor_hours), 0) AS labor_hours
      FROM noncompensable AS c
     CROSS JOIN run_ctx AS x
     WHERE x.from_day IS NULL OR c.submitted_day >= x.from_day
     GROUP BY c.dealer_id
), e AS (
    SELECT r.provider_id AS dealer_id, COUNT(*) AS n_exceptions
      FROM registration_exception AS r
     CROSS JOIN run_ctx AS x
     WHERE x.from_day IS NULL OR r.dispatched_day >= x.from_day
     GROUP BY r.provider_id
), k AS (
    SELECT dealer_id FROM u
    UNION
    SELECT dealer_id FROM n
)
SELECT k.dealer_id,
       dn.dealer_name,
       COALESCE(u.n_unclosed, 0),
       u.dispatch_id,
       u.dispatched_at,
       u.days_open,
       COALESCE(n.n_noncomp, 0),
       COALESCE(n.labor_hours, 0),
       COALESCE(e.n_exceptions, 0)
  FROM k
  LEFT JOIN u ON u.dealer_id = k.dealer_id
  LEFT JOIN n ON n.dealer_id = k.dealer_id
  LEFT JOIN e ON e.dealer_id = k.dealer_id
  LEFT JOIN dealer_name AS dn ON dn.dealer_id = k.dealer_id
 ORDER BY k.dealer_id;
