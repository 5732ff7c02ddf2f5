-- pg_load_stage.sql -- PostgreSQL only: the staging table a feed file is
-- COPied into (etl/load.c, issue 17). PostgreSQL only because on SQLite a
-- row is inserted where it is read, at no round trip's cost, while on a
-- server one statement per row costs one round trip each (~4,000 rows/s);
-- so the file's records go to the server in one COPY ... FROM STDIN, and
-- set-based statements (pg_load_<kind>.sql, pg_load_rejected.sql) make of
-- them exactly the rows and rejected rows the SQLite path writes.
--
-- One table for the three kinds (a file fills only its kind's columns):
-- every record of the file, in its physical line; reason NULL for a row
-- that passed the checks of SPEC §2 (the key repeats are marked later),
-- else why it was rejected; raw, the record's bytes, kept for every row
-- since any valid row may turn out to repeat a key. Integers are bigint
-- and text is text, as lib/db.h's bulk load sends them. TEMP and ON
-- COMMIT DROP: it lives in the file's transaction only (a rollback or a
-- killed session leaves nothing), and TEMP tables are not WAL-logged.
CREATE TEMP TABLE load_stage (
    line                 bigint NOT NULL,
    reason               text,
    raw                  bytea NOT NULL,
    dealer_id            text,
    dealer_name          text,
    model                text,
    model_norm           text,
    serial_number        text,
    serial_norm          text,
    registered_on        text,
    registered_day       bigint,
    wmp_selected         bigint,
    removed_on           text,
    removed_day          bigint,
    dispatch_id          text,
    dispatched_at        text,
    dispatched_day       bigint,
    provider_id          text,
    customer_name        text,
    customer_postal_code text,
    problem_code         text,
    status               text,
    submitted_at         text,
    submitted_day        bigint,
    completed_on         text,
    completed_day        bigint,
    technician           text,
    labor_hours          double precision,
    resolution_code      text,
    parts                text
) ON COMMIT DROP;
