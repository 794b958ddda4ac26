-- The RFC 6238 time step of the newest second-factor code that opened a session: a code of that
-- step or an earlier one opens no other (one-time use, RFC 6238 §5.2). NULL: none yet.
ALTER TABLE operator_user ADD COLUMN totp_used_step BIGINT NULL;
