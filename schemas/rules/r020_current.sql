-- r020_current.sql -- SPEC §2/§3: the current version of every key as of
-- A, read from the rule state kept in the database (004_rule_state.sql,
-- brought up to date at each load by schemas/upkeep/), as TEMP views.
--
-- SPEC §2 dispatches: "Key: dispatch_id. Nightly logs overlap: a dispatch seen
--   again in a later imported file is **superseded** by the later version (a
--   call cancelled or reassigned), and the earlier versions are kept as
--   history."
-- SPEC §2 closeouts: "Key: (dealer_id, dispatch_id, submitted_at); a later
--   import of the same key supersedes."
-- SPEC §2 registrations: "Key: (dealer_id, normalized serial, registered_on);
--   a later import of the same key supersedes."
-- SPEC §3: "Only dispatches whose dispatched_at falls on or before day A and
--   closeouts with submitted_at on or before A (end of day) take part; only
--   current versions count." ... "“Current” means the latest imported
--   version: the as-of date filters by business dates, not by when rows
--   were imported."
--
-- Why the state, computed with every row taking part, answers for any A
-- (issue 15; tests/rules/test_equivalence.py checks it against the full
-- recomputation of schemas/reference/ for hundreds of random A). Write
-- S(∞) for SPEC §3 with every dispatch and closeout taking part (the
-- state), S(A) for SPEC §3 as of A. "Current" never depends on A, so the
-- current versions are the same in both; A only decides which take part.
-- Take a current closeout c, submitted on or before A (the others take no
-- part as of A), naming the dispatch id i:
--   * i blank or never imported: checks 1 and 6 only, with the same
--     details, in both. Never valid.
--   * i's current version dated after A: as of A the dispatch does not
--     exist, so c gets NO_DISPATCH ("naming a dispatch after A", a detail
--     that names A) and maybe INCOMPLETE_SECTION2, nothing else (checks 2-5
--     apply only when the dispatch exists; c is not valid, so no check 7).
--     The views build exactly that from the state (the rank-6 detail is
--     kept as incomplete_detail). A re-dated dispatch is a new current
--     version: the upkeep computed its closeouts again, so dispatch_day is
--     the current one.
--   * i's current version dated on or before A: checks 2-6 read only c and
--     that version, so they are the same in S(A) and S(∞), and so is
--     "valid". The accepted closeout is the valid one first in the order
--     (submitted_at, file, line). The closeouts taking part as of A are
--     those with submitted_day <= A, a prefix of that order (a later
--     submitted_at never has an earlier day). So the accepted one as of A
--     is the accepted one of S(∞) when it was submitted on or before A, and
--     none otherwise (then every valid closeout came after it, so none of
--     them takes part). DUPLICATE_CLOSEOUT as of A is thus every other
--     valid closeout submitted on or before A: exactly the c of S(∞) with
--     check 7 (the accepted one of S(∞) precedes c, so it takes part too,
--     and the detail names the same FILE:LINE).
-- An unclosed call (r050) needs the accepted closeout as of A: the one of
-- S(∞) when submitted on or before A. Registration exceptions (r060) read
-- the dispatch's current version and the current registrations, not A: A
-- only decides which dispatches are checked.
--
-- Views read one state table each and take A from run_ctx through a scalar
-- subquery (never a join): SQLite then flattens them into every query,
-- also on the right of a LEFT JOIN (explain), and the state's indexes
-- serve the lookups.

-- The current version of every dispatch_id, with its source file's name.
-- Not filtered by A: the rules filter on dispatched_day.
CREATE TEMP VIEW dispatch_current AS
SELECT d.dispatch_row_id,
       d.file_id,
       d.line,
       d.dispatch_id,
       d.dispatched_at,
       d.dispatched_day,
       d.model,
       d.model_norm,
       d.serial_number,
       d.serial_norm,
       d.provider_id,
       d.customer_name,
       d.customer_postal_code,
       d.problem_code,
       d.status,
       d.file_name
  FROM cur_dispatch AS d;

-- The current version of every closeout key submitted on or before A. The
-- key includes submitted_at, so all versions of a key fall on the same side
-- of A.
CREATE TEMP VIEW closeout_current AS
SELECT c.closeout_id,
       c.file_id,
       c.line,
       c.dealer_id,
       c.submitted_at,
       c.submitted_day,
       c.dispatch_id,
       c.serial_number,
       c.serial_norm,
       c.model,
       c.model_norm,
       c.completed_on,
       c.completed_day,
       c.technician,
       c.labor_hours,
       c.resolution_code,
       c.parts,
       c.file_name
  FROM cur_closeout AS c
 WHERE c.submitted_day <= (SELECT x.as_of_day FROM run_ctx AS x);

-- The current version of every registration key. Not filtered by A: a
-- registration is checked against each dispatch's own day (r060).
CREATE TEMP VIEW registration_current AS
SELECT r.registration_id,
       r.file_id,
       r.line,
       r.dealer_id,
       r.dealer_name,
       r.model,
       r.model_norm,
       r.serial_number,
       r.serial_norm,
       r.registered_on,
       r.registered_day,
       r.wmp_selected,
       r.removed_on,
       r.removed_day,
       r.file_name
  FROM cur_registration AS r;
