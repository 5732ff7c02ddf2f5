-- q_insert_dispatch.sql -- one loaded dispatch version (SPEC §2).
INSERT INTO dispatch (file_id, line, dispatch_id, dispatched_at,
                      dispatched_day, model, model_norm, serial_number,
                      serial_norm, provider_id, customer_name,
                      customer_postal_code, problem_code, status)
VALUES (:file_id, :line, :dispatch_id, :dispatched_at, :dispatched_day,
        :model, :model_norm, :serial_number, :serial_norm, :provider_id,
        :customer_name, :customer_postal_code, :problem_code, :status);
