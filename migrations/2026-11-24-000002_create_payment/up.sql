-- Payments. `payment_id` is a hyphenated lower-case UUIDv7, so it sorts by creation time and
-- serves as the newest-first cursor. `version` is the optimistic-concurrency counter checked in
-- `UPDATE ... WHERE payment_id = ? AND version = ?`. Money is BIGINT minor units.
CREATE TABLE payment (
    payment_id      CHAR(36)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_key     CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    client_id       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_no        VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount          BIGINT       NOT NULL,
    currency        CHAR(3)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    method_code     VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status          VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    product_name    VARCHAR(128) NULL,
    customer_name   VARCHAR(64)  NULL,
    transaction_id  VARCHAR(128) NULL,
    failure_code    VARCHAR(64)  NULL,
    failure_message VARCHAR(255) NULL,
    cancel_reason   VARCHAR(200) NULL,
    version         INT UNSIGNED NOT NULL DEFAULT 0,
    created_at      DATETIME(6)  NOT NULL,
    updated_at      DATETIME(6)  NOT NULL,
    approved_at     DATETIME(6)  NULL,
    completed_at    DATETIME(6)  NULL,
    canceled_at     DATETIME(6)  NULL,
    failed_at       DATETIME(6)  NULL,
    expires_at      DATETIME(6)  NOT NULL,
    CONSTRAINT pk_payment PRIMARY KEY (payment_id),
    CONSTRAINT uq_payment_key UNIQUE (payment_key),
    CONSTRAINT uq_payment_client_order UNIQUE (client_id, order_no),
    CONSTRAINT fk_payment_client FOREIGN KEY (client_id) REFERENCES api_credential (client_id),
    CONSTRAINT ck_payment_status
        CHECK (status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
    CONSTRAINT ck_payment_method CHECK (method_code IN ('CARD', 'BANK', 'MOBILE')),
    CONSTRAINT ck_payment_amount CHECK (amount > 0),
    INDEX ix_payment_client_id (client_id, payment_id),
    INDEX ix_payment_status_expires (status, expires_at),
    INDEX ix_payment_client_created (client_id, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
