-- pg_copy_columns.sql -- PostgreSQL only: the columns of one table of the
-- target of `svcrecon copy` (app/copy.c), in their order, each with the
-- type its values take in COPY's binary format: a domain's base type
-- (schemas/tables/pg/pg001_before.sql: BLOB is a domain over bytea).
-- The copy streams the rows by COPY (lib/db.h, bulk load), whose binary
-- fields must be exactly the column's type (an integer is 4 bytes, a
-- bigint 8), which only the target's catalog says. The table name resolves
-- in the schema the connection's search_path names (lib/db_pg.c).
-- Params: :table_name.
SELECT a.attname AS column_name,
       format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype
                        ELSE a.atttypid END, NULL) AS column_type
  FROM pg_attribute AS a
  JOIN pg_type AS t ON t.oid = a.atttypid
 WHERE a.attrelid = to_regclass(CAST(:table_name AS text))
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attnum;
