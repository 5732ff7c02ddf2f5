-- q_file_rejections.sql -- the first rejected rows of a file just loaded,
-- as `import` prints them (SPEC §6: a few per file, then a count). Read
-- back after the commit, so a message names only a row that is stored.
SELECT line, reason FROM rejected_row
 WHERE file_id = :file_id
 ORDER BY line, rejected_id
 LIMIT :n;
