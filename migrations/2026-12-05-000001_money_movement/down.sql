-- Undoes 2026-12-05-000001_money_movement. Refuses (a CHECK violation) while any payment is
-- PARTIAL_CANCELED or any outbox message is an ACQUIRER_CAPTURE: those cannot be expressed in the
-- older schema.
ALTER TABLE outbox_event
    DROP COLUMN cancel_id,
    DROP CONSTRAINT ck_outbox_event_kind,
    ADD CONSTRAINT ck_outbox_event_kind CHECK (kind IN
        ('ACQUIRER_REQUEST', 'ACQUIRER_CANCEL', 'MERCHANT_NOTIFICATION', 'ACQUIRER_WEBHOOK'));

ALTER TABLE payment_log
    DROP CONSTRAINT ck_payment_log_status,
    DROP CONSTRAINT ck_payment_log_from_status,
    ADD CONSTRAINT ck_payment_log_status
        CHECK (status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
    ADD CONSTRAINT ck_payment_log_from_status CHECK (from_status IS NULL
        OR from_status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED'));

ALTER TABLE payment
    DROP INDEX ix_payment_status_authorization,
    DROP COLUMN authorization_expires_at,
    DROP COLUMN canceled_amount,
    DROP CONSTRAINT ck_payment_status,
    ADD CONSTRAINT ck_payment_status
        CHECK (status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED'));

DROP TABLE payment_cancel;
