-- r010_context.sql -- SPEC §3: the run's as-of date, --from date and aging
-- buckets, as per-connection TEMP tables the rule files r020… read.
--
-- SPEC §3: "A run reconciles **as of** a date A (default: today, local time).
--   Only dispatches whose dispatched_at falls on or before day A and closeouts
--   with submitted_at on or before A (end of day) take part; only current
--   versions count. `--from D` filters two listings after the rules ran over
--   everything up to A (it never changes which closeout was accepted)"
-- SPEC §3 "Unclosed calls": "Default aging buckets: 0–7, 8–14, 15–30, 31–60,
--   61–90, 91+ (configurable)."
--
-- Views take no parameters and a main-schema view cannot see a TEMP table
-- (STYLE §10), so the C code runs this file, fills both tables with bound
-- parameters, then runs r020… in name order on the same connection. Nothing
-- here is filled by SQL: the default buckets are the C code's to insert, so
-- that a configured set replaces them without editing SQL.

-- Exactly one row. Every rule joins it; a second row would double every
-- result, so the C code inserts once per connection.
CREATE TEMP TABLE run_ctx (
    as_of     TEXT NOT NULL,       -- A as 'YYYY-MM-DD', for details
    as_of_day INTEGER NOT NULL,    -- A as days since 1970-01-01
    from_day  INTEGER              -- --from D as a day number, NULL = no --from
);

-- Aging buckets of unclosed calls, matched on days_open = A - dispatch day:
-- lo_days <= days_open <= hi_days. Defaults (inserted by the C code):
-- (1,0,7,'0-7') (2,8,14,'8-14') (3,15,30,'15-30') (4,31,60,'31-60')
-- (5,61,90,'61-90') (6,91,NULL,'91+').
CREATE TEMP TABLE aging_bucket (
    seq     INTEGER PRIMARY KEY,   -- display and summary order
    lo_days INTEGER NOT NULL,      -- first day of the bucket, inclusive
    hi_days INTEGER,               -- last day, inclusive, NULL = open-ended
    label   TEXT NOT NULL          -- as shown in the workbook, e.g. '8-14'
);
