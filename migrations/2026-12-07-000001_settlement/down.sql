DROP TABLE settlement_run;
DROP TABLE settlement_line;
DROP TABLE settlement_batch;
ALTER TABLE payment_cancel DROP INDEX ix_payment_cancel_completed;
ALTER TABLE payment DROP INDEX ix_payment_completed;
ALTER TABLE api_credential
    DROP CONSTRAINT ck_api_credential_settlement_delay,
    DROP CONSTRAINT ck_api_credential_fee_rate,
    DROP COLUMN settlement_delay_days,
    DROP COLUMN fee_rate_bps;
