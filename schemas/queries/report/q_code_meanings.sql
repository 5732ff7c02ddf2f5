-- q_code_meanings.sql -- every code a workbook uses, with its meaning, stated
-- once (SPEC §4 "Reading aids": the About sheet gives "the meaning of every
-- code it uses (closeout reasons, registration exceptions, aging buckets,
-- file statuses)"). The Summary's reason table and the About sheets read
-- this TEMP table; dealer statements add `remedy`, what would make a
-- closeout compensable, in the dealer's words. Aging buckets are not here:
-- they are configured (--buckets), TEMP aging_bucket of r010.
-- Created by reports/report.c after the rules, on the report's connection.
CREATE TEMP TABLE code_meaning (
    family  TEXT NOT NULL,     -- reason, exception, status, kind, change,
                               -- closed_by, new
    seq     INTEGER NOT NULL,  -- SPEC order (precedence for reasons)
    code    TEXT NOT NULL,
    meaning TEXT NOT NULL,
    remedy  TEXT NOT NULL,     -- '' unless family = 'reason'
    PRIMARY KEY (family, seq)
);
INSERT INTO code_meaning (family, seq, code, meaning, remedy) VALUES
('reason', 1, 'NO_DISPATCH',
 'not dispatched by CITS: dispatch ID blank, unknown or after the as-of date',
 'Service is paid only when CITS dispatched it. If CITS did dispatch this '
 || 'call, send the form again with its CITS dispatch number.'),
('reason', 2, 'DISPATCH_CANCELLED', 'the dispatch is cancelled',
 'CITS cancelled this dispatch; service on a cancelled call is not paid. '
 || 'If the customer called again, close out the new dispatch instead.'),
('reason', 3, 'PROVIDER_MISMATCH', 'dealer is not the dispatch''s provider',
 'The call was dispatched to another dealer (or to none). Only the '
 || 'provider of record is paid; check the dealer on the form.'),
('reason', 4, 'SERIAL_MISMATCH', 'serial differs from the dispatch''s',
 'Send the form again with the serial number of the machine CITS '
 || 'dispatched.'),
('reason', 5, 'SERVICE_BEFORE_DISPATCH', 'completed before the dispatch date',
 'The completion date is before the dispatch. Correct it and send the '
 || 'form again.'),
('reason', 6, 'INCOMPLETE_SECTION2', 'a Section 2 value is blank',
 'Fill in every Section 2 value named in Detail and send the form again.'),
('reason', 7, 'DUPLICATE_CLOSEOUT',
 'another valid closeout of the dispatch was accepted',
 'Another closeout of this call was accepted already: nothing more to '
 || 'send.'),
('exception', 1, 'NO_REGISTRATION',
 'no registration of the serial was active on the dispatch day', ''),
('exception', 2, 'NOT_PROVIDER_OF_RECORD',
 'the provider (blank included) is not among the dealers registered for '
 || 'the serial that day', ''),
('exception', 3, 'WMP_SELECTED',
 'an active registration of the serial has WMP selected', ''),
('exception', 4, 'MODEL_MISMATCH',
 'no active registration of the serial has the dispatch''s model', ''),
('exception', 5, 'OVERLAPPING_REGISTRATION',
 'two or more different dealers are registered for the serial that day', ''),
('status', 1, 'loaded',
 'the file was imported: its good rows loaded, its bad rows rejected', ''),
('status', 2, 'refused',
 'nothing of the file was loaded (see Reason and Rejected rows, line 0)', ''),
('status', 3, 'unreadable', 'the file could not be opened or read', ''),
('status', 4, 'skipped',
 'the same bytes (SHA-256) were imported before: nothing changed', ''),
('kind', 1, 'registrations', 'ASCR registrations export', ''),
('kind', 2, 'dispatches', 'CITS dispatch log', ''),
('kind', 3, 'closeouts', 'Section 2 closeouts received by CITS', ''),
('change', 1, 'Newly unclosed',
 'unclosed now, not listed by the previous report', ''),
('change', 2, 'Closed',
 'listed by the previous report, not unclosed now (Closed by says why)', ''),
('change', 3, 'Bucket moved',
 'listed both times, in another aging bucket now', ''),
('closed_by', 1, 'closeout accepted (FILE line N)',
 'a closeout of the call was accepted: the one at line N of FILE', ''),
('closed_by', 2, 'dispatch cancelled (FILE line N)',
 'the dispatch is cancelled: its current version, at line N of FILE', ''),
('closed_by', 3, 'dispatched after the as-of date (FILE line N)',
 'a later import dates the dispatch after the as-of date: its current '
 || 'version, at line N of FILE', ''),
('closed_by', 4, 'no longer listed (FILE line N)',
 'anything else (the dispatch''s current version, when there is one)',
 ''),
('new', 1, 'yes', 'the previous report did not list this closeout', ''),
('new', 2, 'no', 'the previous report listed it too', ''),
('new', 3, '(blank)', 'there is no previous report to compare with', '');
