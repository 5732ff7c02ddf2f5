-- q_explain_source_before.sql -- `explain --source FILE:LINE` when no row
-- starts at LINE: in each file named FILE, the loaded row that starts
-- nearest before LINE, with its feed text (the fields as stored, joined).
-- A quoted field may hold line breaks: explain_source.c counts them in
-- `txt`, and names the row when LINE falls inside its record. The count is
-- never too high (a stored field holds no line break the record did not),
-- so a LINE past it is not called part of the record. Rejected rows are not
-- read here (their raw bytes are a BLOB, counted alike on neither back end
-- without dialect SQL). Per file, one seek down each (file_id, line) index.
-- Params: :file, :line.
SELECT d.line,
       d.dispatch_id || '|' || d.model || '|' || d.serial_number || '|'
       || d.provider_id || '|' || d.customer_name || '|'
       || d.customer_postal_code || '|' || d.problem_code AS txt
  FROM imported_file AS f
  JOIN dispatch AS d
    ON d.file_id = f.file_id
   AND d.line = (SELECT p.line FROM dispatch AS p
                  WHERE p.file_id = f.file_id AND p.line < :line
                  ORDER BY p.line DESC LIMIT 1)
 WHERE f.name = :file OR f.path = :file
UNION ALL
SELECT c.line,
       c.dealer_id || '|' || c.dispatch_id || '|' || c.serial_number || '|'
       || c.model || '|' || c.technician || '|' || c.resolution_code || '|'
       || c.parts
  FROM imported_file AS f
  JOIN closeout AS c
    ON c.file_id = f.file_id
   AND c.line = (SELECT p.line FROM closeout AS p
                  WHERE p.file_id = f.file_id AND p.line < :line
                  ORDER BY p.line DESC LIMIT 1)
 WHERE f.name = :file OR f.path = :file
UNION ALL
SELECT g.line,
       g.dealer_id || '|' || g.dealer_name || '|' || g.model || '|'
       || g.serial_number
  FROM imported_file AS f
  JOIN registration AS g
    ON g.file_id = f.file_id
   AND g.line = (SELECT p.line FROM registration AS p
                  WHERE p.file_id = f.file_id AND p.line < :line
                  ORDER BY p.line DESC LIMIT 1)
 WHERE f.name = :file OR f.path = :file;
