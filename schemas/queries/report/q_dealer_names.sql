-- q_dealer_names.sql -- SPEC §4 "Dealer names": "Wherever a listing names a
-- dealer or provider code, the column after it gives the dealer's name: the
-- `dealer_name` of that dealer's current registration imported last with a
-- non-blank name (blank if none)."
-- One TEMP row per dealer that has a name, read by the listings with a LEFT
-- JOIN. "Current": no later import of the same registration key (SPEC §2);
-- "imported last": the highest file_id, then the highest line (one file may
-- register a dealer's machines under two spellings; the last line wins).
-- A name of blanks only is blank: :blanks is the set of the README's
-- Trimming (space, tab, CR, LF, U+00A0, U+2000-U+200D, U+202F, U+2060,
-- U+205F, U+1680, U+3000; reports/report.c NAME_BLANKS), bound as text
-- (TRIM(x, y) trims the characters of y: SQLite and PostgreSQL alike;
-- PostgreSQL takes a parameter in CREATE TABLE AS): a name of a lone
-- no-break space hid the name registered before (QA pass 60,
-- tests/e2e/t8700). Created by reports/report.c after the rules, on the
-- report's connection.
CREATE TEMP TABLE dealer_name AS
SELECT w.dealer_id, w.dealer_name
  FROM (SELECT r.dealer_id, r.dealer_name,
               ROW_NUMBER() OVER (PARTITION BY r.dealer_id
                                  ORDER BY r.file_id DESC, r.line DESC,
                                           r.registration_id DESC) AS k
          FROM registration AS r
         WHERE TRIM(r.dealer_name, :blanks) <> ''
           AND NOT EXISTS (SELECT 1 FROM registration AS v
                            WHERE v.serial_norm = r.serial_norm
                              AND v.dealer_id = r.dealer_id
                              AND v.registered_day = r.registered_day
                              AND v.file_id > r.file_id)) AS w
 WHERE w.k = 1;
CREATE UNIQUE INDEX dealer_name_id ON dealer_name (dealer_id);
