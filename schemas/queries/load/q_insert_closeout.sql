-- q_insert_closeout.sql -- one loaded closeout version (SPEC §2).
INSERT INTO closeout (file_id, line, dealer_id, submitted_at, submitted_day,
                      dispatch_id, serial_number, serial_norm, model,
                      model_norm, completed_on, completed_day, technician,
                      labor_hours, resolution_code, parts)
VALUES (:file_id, :line, :dealer_id, :submitted_at, :submitted_day,
        :dispatch_id, :serial_number, :serial_norm, :model, :model_norm,
        :completed_on, :completed_day, :technician, :labor_hours,
        :resolution_code, :parts);
