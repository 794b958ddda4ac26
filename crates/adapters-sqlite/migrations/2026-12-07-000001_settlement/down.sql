DROP TABLE settlement_run;
DROP TABLE settlement_line;
DROP TABLE settlement_batch;
DROP INDEX ix_payment_cancel_completed;
DROP INDEX ix_payment_completed;
ALTER TABLE api_credential DROP COLUMN settlement_delay_days;
ALTER TABLE api_credential DROP COLUMN fee_rate_bps;
