-- q_earlier_dispatch.sql -- the line of this file that already holds the
-- dispatch_id; SPEC §2.
SELECT line FROM dispatch
 WHERE dispatch_id = :dispatch_id AND file_id = :file_id;
