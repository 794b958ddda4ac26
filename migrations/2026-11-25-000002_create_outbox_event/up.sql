-- The transactional outbox (architecture.md §3): messages written in the same transaction as
-- the state change that caused them, delivered at least once by the dispatcher.
--
-- `seq` is the storage order (newest-first listings, per-payment notification order);
-- `event_id` is the public id (a UUIDv7, hyphenated), stable across retries and redeliveries.
-- A message is due when `not_before` and `next_attempt_at` have passed; a dispatcher claims it
-- by setting `lease_until` (claimable again once that passes). `payment_id` is NULL for
-- messages not tied to a payment (the mock acquirer's webhooks). `payload` is the exact body.
CREATE TABLE outbox_event (
    seq             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_id        CHAR(36)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    kind            VARCHAR(32)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_id      CHAR(36)      CHARACTER SET ascii COLLATE ascii_bin NULL,
    client_id       VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NULL,
    event_type      VARCHAR(128)  NULL,
    target_url      VARCHAR(2048) NOT NULL,
    payload         MEDIUMTEXT    NOT NULL,
    state           VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    attempts        INT UNSIGNED  NOT NULL DEFAULT 0,
    not_before      DATETIME(6)   NOT NULL,
    next_attempt_at DATETIME(6)   NOT NULL,
    lease_until     DATETIME(6)   NULL,
    last_error      VARCHAR(1024) NULL,
    created_at      DATETIME(6)   NOT NULL,
    updated_at      DATETIME(6)   NOT NULL,
    CONSTRAINT pk_outbox_event PRIMARY KEY (seq),
    CONSTRAINT uq_outbox_event_id UNIQUE (event_id),
    CONSTRAINT fk_outbox_event_payment FOREIGN KEY (payment_id)
        REFERENCES payment (payment_id) ON DELETE CASCADE,
    CONSTRAINT ck_outbox_event_kind CHECK (kind IN
        ('ACQUIRER_REQUEST', 'ACQUIRER_CANCEL', 'MERCHANT_NOTIFICATION', 'ACQUIRER_WEBHOOK')),
    CONSTRAINT ck_outbox_event_state CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
    -- claiming: PENDING rows by due time
    INDEX ix_outbox_event_due (state, next_attempt_at),
    -- per-payment order of notifications; also the payment_id filter of listings
    INDEX ix_outbox_event_payment_order (payment_id, kind, state, seq),
    -- listing filters, newest first
    INDEX ix_outbox_event_client (client_id, seq),
    INDEX ix_outbox_event_kind (kind, seq),
    INDEX ix_outbox_event_state (state, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
