-- q_about_codes.sql -- the codes of one family with their meanings, for an
-- About sheet (SPEC §4 "Reading aids"), in the SPEC's order.
SELECT c.code, c.meaning, c.remedy
  FROM code_meaning AS c
 WHERE c.family = :family
 ORDER BY c.seq;
