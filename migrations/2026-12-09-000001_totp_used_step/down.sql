ALTER TABLE operator_user DROP COLUMN totp_used_step;
