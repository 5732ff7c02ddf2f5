-- 004_rule_state.sql -- schema version 4: the rules' results kept in the
-- database (issue 15), brought up to date in each file's load transaction
-- for the keys the file touched (schemas/upkeep/), instead of recomputed
-- from the whole history by every report and every `explain`.
--
-- What is kept does not depend on the as-of date A: it is SPEC §3 evaluated
-- with every dispatch and closeout taking part ("as of the end of time").
-- schemas/rules/ reads it filtered by A; why that gives exactly SPEC §3 as
-- of any A is argued in schemas/rules/r020_current.sql, and
-- tests/rules/test_equivalence.py compares it, for many random A, with the
-- full recomputation kept in schemas/reference/.
--
-- The current version of each key is copied whole (with its file's name),
-- so that each as-of view of schemas/rules/ reads one table: SQLite then
-- flattens the view into every query, also on the right of a LEFT JOIN.
-- Portable SQL, as 001_tables.sql. lib/db.c fills the tables once, for the
-- whole history, right after this file (an upgrade in place). IF NOT
-- EXISTS: a database downgraded by hand and upgraded again keeps going
-- (touch_all.sql computes the state anew whatever was left).

-- Rows of one file, for the upkeep (a load touches only its own rows),
-- and the row at FILE:LINE, for `explain --source`.
CREATE INDEX IF NOT EXISTS registration_file ON registration (file_id, line);
CREATE INDEX IF NOT EXISTS dispatch_file ON dispatch (file_id, line);
CREATE INDEX IF NOT EXISTS closeout_file ON closeout (file_id, line);

-- The current version of every registration key (SPEC §2: "a later import
-- of the same key supersedes").
CREATE TABLE IF NOT EXISTS cur_registration (
    registration_id INTEGER PRIMARY KEY,  -- the current version's row
    file_id         INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    dealer_id       TEXT NOT NULL,
    dealer_name     TEXT NOT NULL,
    model           TEXT NOT NULL,
    model_norm      TEXT NOT NULL,
    serial_number   TEXT NOT NULL,
    serial_norm     TEXT NOT NULL,
    registered_on   TEXT NOT NULL,
    registered_day  INTEGER NOT NULL,
    wmp_selected    INTEGER NOT NULL,
    removed_on      TEXT,
    removed_day     INTEGER,
    file_name       TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cur_registration_key
    ON cur_registration (serial_norm, dealer_id, registered_day);
-- Covering for the active-registration join (serial, day range, then the
-- columns the exceptions test).
CREATE INDEX IF NOT EXISTS cur_registration_serial
    ON cur_registration (serial_norm, registered_day, removed_day,
                         dealer_id, wmp_selected, model_norm);

-- The current version of every dispatch_id, and its accepted closeout
-- (SPEC §3: "the valid one submitted first"), NULL when none is valid.
CREATE TABLE IF NOT EXISTS cur_dispatch (
    dispatch_row_id      INTEGER PRIMARY KEY,  -- the current version's row
    dispatch_id          TEXT NOT NULL,
    file_id              INTEGER NOT NULL,
    line                 INTEGER NOT NULL,
    dispatched_at        TEXT NOT NULL,
    dispatched_day       INTEGER NOT NULL,
    model                TEXT NOT NULL,
    model_norm           TEXT NOT NULL,
    serial_number        TEXT NOT NULL,
    serial_norm          TEXT NOT NULL,
    provider_id          TEXT NOT NULL,
    customer_name        TEXT NOT NULL,
    customer_postal_code TEXT NOT NULL,
    problem_code         TEXT NOT NULL,
    status               TEXT NOT NULL,
    file_name            TEXT NOT NULL,
    accepted_closeout_id INTEGER,           -- cur_closeout.closeout_id
    accepted_day         INTEGER            -- its submitted_day
);
CREATE UNIQUE INDEX IF NOT EXISTS cur_dispatch_id ON cur_dispatch (dispatch_id);
-- No index on the listing's order (dispatched_at, dispatch_id): a report
-- sorts its unclosed calls once, into a TEMP table
-- (schemas/queries/report/report_tables.sql), and an index over every
-- dispatch cost night 1's load more than that sort (bench/README.md).
-- The dispatches of a serial (a registration's upkeep, explain --source).
CREATE INDEX IF NOT EXISTS cur_dispatch_serial ON cur_dispatch (serial_norm);

-- The current version of every closeout key (all submitted dates), with
-- its verdict when every dispatch takes part: reason (primary code, NULL =
-- none), all_reasons, detail as the Non-compensable listing shows them,
-- is_valid (no reason 1-6), is_accepted; and what the as-of views need to
-- correct it for a dispatch dated after A: the day and date-time of the
-- dispatch it names (NULL: blank or unknown id) and the detail of its
-- INCOMPLETE_SECTION2 (NULL: complete).
CREATE TABLE IF NOT EXISTS cur_closeout (
    closeout_id       INTEGER PRIMARY KEY,  -- the current version's row
    file_id           INTEGER NOT NULL,
    line              INTEGER NOT NULL,
    dealer_id         TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    submitted_day     INTEGER NOT NULL,
    dispatch_id       TEXT NOT NULL,
    serial_number     TEXT NOT NULL,
    serial_norm       TEXT NOT NULL,
    model             TEXT NOT NULL,
    model_norm        TEXT NOT NULL,
    completed_on      TEXT,
    completed_day     INTEGER,
    technician        TEXT NOT NULL,
    labor_hours       DOUBLE PRECISION,
    resolution_code   TEXT NOT NULL,
    parts             TEXT NOT NULL,
    file_name         TEXT NOT NULL,
    dispatch_day      INTEGER,
    dispatch_at       TEXT,
    incomplete_detail TEXT,
    reason            TEXT,
    all_reasons       TEXT NOT NULL DEFAULT '',
    detail            TEXT NOT NULL DEFAULT '',
    is_valid          INTEGER NOT NULL DEFAULT 1,
    is_accepted       INTEGER NOT NULL DEFAULT 0
);
-- Per dispatch in acceptance order (SPEC §3: first submitted, then earlier
-- import, then earlier line): the closeouts of a touched dispatch, the
-- attempts as of A, and the SPEC §2 key (dealer_id, dispatch_id,
-- submitted_at) of a superseded version (touch_closeouts.sql: dispatch and
-- submitted_at are the index's first columns; one current version per key
-- is the loader's to ensure). No second index on the key: each index on
-- the state is paid for every row of night 1.
CREATE INDEX IF NOT EXISTS cur_closeout_dispatch
    ON cur_closeout (dispatch_id, submitted_at, file_id, line, closeout_id);

-- Each current closeout's reasons (SPEC §3 checks 1-7), every dispatch
-- taking part; rank is the precedence.
CREATE TABLE IF NOT EXISTS cur_closeout_reason (
    closeout_id INTEGER NOT NULL,   -- cur_closeout.closeout_id
    rank        INTEGER NOT NULL,
    code        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    PRIMARY KEY (closeout_id, rank)
);

-- Each current dispatch's registration exceptions (SPEC §3), with the
-- dispatch columns the Registration exceptions listing shows. They do not
-- depend on A: only which dispatches are listed does.
CREATE TABLE IF NOT EXISTS cur_registration_exception (
    dispatch_id    TEXT NOT NULL,
    dispatched_at  TEXT NOT NULL,
    dispatched_day INTEGER NOT NULL,
    serial_number  TEXT NOT NULL,
    model          TEXT NOT NULL,
    provider_id    TEXT NOT NULL,
    status         TEXT NOT NULL,
    rank           INTEGER NOT NULL,
    code           TEXT NOT NULL,
    detail         TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    line           INTEGER NOT NULL,
    PRIMARY KEY (dispatch_id, rank)
);
CREATE INDEX IF NOT EXISTS cur_registration_exception_order
    ON cur_registration_exception (dispatched_at, dispatch_id, rank);
