-- q_earlier_registration.sql -- the line of this file that already holds the
-- registration key (dealer_id, normalized serial, registered_on); SPEC §2.
SELECT line FROM registration
 WHERE serial_norm = :serial_norm AND dealer_id = :dealer_id
   AND registered_day = :registered_day AND file_id = :file_id;
