-- See migrations/2026-12-09-000001_totp_used_step.
ALTER TABLE operator_user ADD COLUMN totp_used_step BIGINT;
