-- q_insert_registration.sql -- one loaded registration row (SPEC §2).
INSERT INTO registration (file_id, line, dealer_id, dealer_name, model,
                          model_norm, serial_number, serial_norm,
                          registered_on, registered_day, wmp_selected,
                          removed_on, removed_day)
VALUES (:file_id, :line, :dealer_id, :dealer_name, :model, :model_norm,
        :serial_number, :serial_norm, :registered_on, :registered_day,
        :wmp_selected, :removed_on, :removed_day);
