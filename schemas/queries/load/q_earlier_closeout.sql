-- q_earlier_closeout.sql -- the line of this file that already holds the
-- closeout key (dealer_id, dispatch_id, submitted_at); SPEC §2.
SELECT line FROM closeout
 WHERE submitted_at = :submitted_at AND dealer_id = :dealer_id
   AND dispatch_id = :dispatch_id AND file_id = :file_id;
