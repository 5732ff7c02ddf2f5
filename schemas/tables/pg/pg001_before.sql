-- pg001_before.sql -- PostgreSQL only, before 001_tables.sql (see there):
-- the type name BLOB that the shared text uses is bytea. A domain keeps
-- the shared CREATE TABLE as it is; a reader of the schema sees "blob".
CREATE DOMAIN blob AS bytea;
