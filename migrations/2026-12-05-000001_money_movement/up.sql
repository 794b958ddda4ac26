-- Money movement (api.md §9): partial cancels, durable acquirer cancels, capture, authorization
-- expiry. Additive and safe on a database with payments:
--
-- * `payment_cancel` holds every cancel of a payment. A PENDING row reserves its amount: the
--   money invariant `canceled + pending <= amount` is decided in the domain and written under the
--   payment's compare-and-set, so every change of a payment's cancels also takes its version.
-- * `payment.canceled_amount` is the sum of the SUCCEEDED cancels, kept with every change (for
--   statistics and settlement without reading the cancels); `simplepg check` verifies it.
-- * Backfill: every CANCELED payment gets one SUCCEEDED cancel of its whole amount, its id
--   `cnl_` + the payment id's 32 hex digits, its reason the payment's `cancel_reason`, requested
--   and completed at `canceled_at`; its `canceled_amount` becomes its amount. An APPROVED payment
--   gets `authorization_expires_at = approved_at + 7 days` (the default authorization window).
-- * `outbox_event.cancel_id`: the cancel an ACQUIRER_CANCEL message carries (its answer settles
--   it); new kind ACQUIRER_CAPTURE; new status PARTIAL_CANCELED.
CREATE TABLE payment_cancel (
    seq                     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    cancel_id               VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_id              CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount                  BIGINT       NOT NULL,
    reason                  VARCHAR(200) NOT NULL,
    status                  VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    acquirer_transaction_id VARCHAR(128) NULL,
    failure_code            VARCHAR(64)  NULL,
    failure_message         VARCHAR(255) NULL,
    requested_at            DATETIME(6)  NOT NULL,
    completed_at            DATETIME(6)  NULL,
    CONSTRAINT pk_payment_cancel PRIMARY KEY (seq),
    CONSTRAINT uq_payment_cancel_id UNIQUE (cancel_id),
    CONSTRAINT fk_payment_cancel_payment FOREIGN KEY (payment_id)
        REFERENCES payment (payment_id) ON DELETE CASCADE,
    CONSTRAINT ck_payment_cancel_status CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    CONSTRAINT ck_payment_cancel_amount CHECK (amount > 0),
    INDEX ix_payment_cancel_payment (payment_id, seq),
    INDEX ix_payment_cancel_status (status, requested_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE payment
    DROP CONSTRAINT ck_payment_status,
    ADD CONSTRAINT ck_payment_status CHECK (status IN
        ('READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED')),
    ADD COLUMN canceled_amount BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN authorization_expires_at DATETIME(6) NULL,
    ADD INDEX ix_payment_status_authorization (status, authorization_expires_at);

ALTER TABLE payment_log
    DROP CONSTRAINT ck_payment_log_status,
    DROP CONSTRAINT ck_payment_log_from_status,
    ADD CONSTRAINT ck_payment_log_status CHECK (status IN
        ('READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED')),
    ADD CONSTRAINT ck_payment_log_from_status CHECK (from_status IS NULL OR from_status IN
        ('READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED'));

ALTER TABLE outbox_event
    DROP CONSTRAINT ck_outbox_event_kind,
    ADD CONSTRAINT ck_outbox_event_kind CHECK (kind IN ('ACQUIRER_REQUEST', 'ACQUIRER_CANCEL',
        'ACQUIRER_CAPTURE', 'MERCHANT_NOTIFICATION', 'ACQUIRER_WEBHOOK')),
    ADD COLUMN cancel_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;

INSERT INTO payment_cancel (cancel_id, payment_id, amount, reason, status, requested_at,
                            completed_at)
SELECT CONCAT('cnl_', REPLACE(payment_id, '-', '')), payment_id, amount,
       COALESCE(cancel_reason, 'canceled'), 'SUCCEEDED',
       COALESCE(canceled_at, updated_at), COALESCE(canceled_at, updated_at)
FROM payment
WHERE status = 'CANCELED';

UPDATE payment SET canceled_amount = amount WHERE status = 'CANCELED';

UPDATE payment SET authorization_expires_at = approved_at + INTERVAL 7 DAY
WHERE status = 'APPROVED' AND approved_at IS NOT NULL;
