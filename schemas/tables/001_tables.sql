-- 001_tables.sql -- SPEC §2: everything ever imported, superseded versions too.
--
-- One table per feed keeps every loaded version of a row with the file and
-- physical line it came from; the "current" version of a key is the one from
-- the latest imported file (highest file_id), computed by the rule views, never
-- by deleting history. Rejected rows keep their raw bytes.
--
-- Conventions (the rule SQL relies on them):
--   * text columns are NOT NULL; a blank value is stored as '' (so that
--     comparisons never meet NULL); dates and numbers use NULL for blank;
--   * identifiers are stored trimmed; serial_norm / model_norm are upper case
--     without ASCII spaces and hyphens (SPEC §2 normalization);
--   * a date is stored twice: ISO text 'YYYY-MM-DD' (or 'YYYY-MM-DD HH:MM:SS'
--     for a date-time) for reading and ordering, and an integer day number
--     (days since 1970-01-01) for arithmetic and comparison;
--   * the unique "key" indexes end with file_id: the same key may appear once
--     per file (a repeat inside one file is rejected by the loader, which finds
--     the earlier line through the same index) and again in later files,
--     which supersede it.
-- Portable SQL (SQLite and PostgreSQL), with what PostgreSQL needs besides
-- kept beside it in schemas/tables/pg/ (lib/db.c runs pg001_before.sql
-- before this file and pg001_after.sql after it, on PostgreSQL only):
--   * INTEGER PRIMARY KEY is SQLite's row id, numbered by an INSERT that
--     leaves it out; PostgreSQL numbers it by an identity column, which has
--     no syntax SQLite reads (pg001_after.sql adds it);
--   * BLOB is PostgreSQL's bytea (a domain named blob, pg001_before.sql);
--   * DOUBLE PRECISION, not REAL: REAL is 4 bytes on PostgreSQL, and SQLite
--     gives both names the same 8-byte REAL affinity;
--   * file_warning keeps its rows' order in SQLite's rowid; PostgreSQL has
--     none, so pg001_after.sql adds a column named rowid.

CREATE TABLE imported_file (
    file_id       INTEGER PRIMARY KEY,   -- import order; ties in rules use it
    name          TEXT NOT NULL,         -- base name, as shown in workbooks
    path          TEXT NOT NULL,         -- path as given when imported
    kind          TEXT NOT NULL
                  CHECK (kind IN ('registrations', 'dispatches', 'closeouts')),
    sha256        TEXT,                  -- lower-case hex of the file's bytes
    size_bytes    INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL CHECK (status IN ('loaded', 'refused')),
    reason        TEXT NOT NULL DEFAULT '',  -- why refused; '' when loaded
    rows_read     INTEGER NOT NULL DEFAULT 0,  -- header and blank lines excluded
    rows_loaded   INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    imported_at   TEXT NOT NULL,         -- UTC wall clock; never in workbooks
    CHECK (rows_read = rows_loaded + rows_rejected)
);
-- The same bytes are loaded at most once (SPEC §2: a re-import is skipped).
CREATE UNIQUE INDEX imported_file_sha ON imported_file (sha256)
    WHERE status = 'loaded';

-- Warnings about a loaded file (unknown columns), for the audit trail.
CREATE TABLE file_warning (
    file_id  INTEGER NOT NULL REFERENCES imported_file (file_id),
    message  TEXT NOT NULL
);

CREATE TABLE registration (
    registration_id INTEGER PRIMARY KEY,
    file_id         INTEGER NOT NULL REFERENCES imported_file (file_id),
    line            INTEGER NOT NULL,    -- physical line where the record starts
    dealer_id       TEXT NOT NULL,
    dealer_name     TEXT NOT NULL,
    model           TEXT NOT NULL,
    model_norm      TEXT NOT NULL,
    serial_number   TEXT NOT NULL,
    serial_norm     TEXT NOT NULL,
    registered_on   TEXT NOT NULL,       -- 'YYYY-MM-DD'
    registered_day  INTEGER NOT NULL,
    wmp_selected    INTEGER NOT NULL CHECK (wmp_selected IN (0, 1)),
    removed_on      TEXT,                -- NULL = still registered
    removed_day     INTEGER
);
CREATE UNIQUE INDEX registration_key
    ON registration (serial_norm, dealer_id, registered_day, file_id);

CREATE TABLE dispatch (
    dispatch_row_id      INTEGER PRIMARY KEY,
    file_id              INTEGER NOT NULL REFERENCES imported_file (file_id),
    line                 INTEGER NOT NULL,
    dispatch_id          TEXT NOT NULL,
    dispatched_at        TEXT NOT NULL,  -- 'YYYY-MM-DD HH:MM:SS'
    dispatched_day       INTEGER NOT NULL,
    model                TEXT NOT NULL,
    model_norm           TEXT NOT NULL,
    serial_number        TEXT NOT NULL,
    serial_norm          TEXT NOT NULL,
    provider_id          TEXT NOT NULL,  -- '' = no provider of record
    customer_name        TEXT NOT NULL,
    customer_postal_code TEXT NOT NULL,
    problem_code         TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('OPEN', 'CANCELLED'))
);
CREATE UNIQUE INDEX dispatch_key ON dispatch (dispatch_id, file_id);

CREATE TABLE closeout (
    closeout_id     INTEGER PRIMARY KEY,
    file_id         INTEGER NOT NULL REFERENCES imported_file (file_id),
    line            INTEGER NOT NULL,
    dealer_id       TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,       -- 'YYYY-MM-DD HH:MM:SS'
    submitted_day   INTEGER NOT NULL,
    dispatch_id     TEXT NOT NULL,       -- '' = none given
    serial_number   TEXT NOT NULL,       -- '' = blank
    serial_norm     TEXT NOT NULL,
    model           TEXT NOT NULL,
    model_norm      TEXT NOT NULL,
    completed_on    TEXT,                -- 'YYYY-MM-DD'; NULL = blank
    completed_day   INTEGER,
    technician      TEXT NOT NULL,
    labor_hours     DOUBLE PRECISION,    -- NULL = blank; 0 is kept as 0
    resolution_code TEXT NOT NULL,
    parts           TEXT NOT NULL
);
-- Key order starts with submitted_at: the feed arrives in time order, so
-- inserts append to the index instead of landing all over it.
CREATE UNIQUE INDEX closeout_key
    ON closeout (submitted_at, dealer_id, dispatch_id, file_id);
CREATE INDEX closeout_dispatch ON closeout (dispatch_id);

-- A row that failed the checks of SPEC §2, kept verbatim. A file refused
-- whole has no rows here: its reason is imported_file.reason (line 0 in the
-- audit workbook).
CREATE TABLE rejected_row (
    rejected_id INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES imported_file (file_id),
    line        INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL            -- the record's bytes as read
);
CREATE INDEX rejected_row_file ON rejected_row (file_id, line);
