-- The audit trail: one row per transition (with the version it was decided on) plus notes that
-- change nothing (from_version NULL). UNIQUE (payment_id, from_version) means no version can be
-- left twice; NULLs do not collide, so notes are unrestricted.
CREATE TABLE payment_log (
    log_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    payment_id   CHAR(36)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    action       VARCHAR(32)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    from_status  VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NULL,
    status       VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    actor        VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    details      VARCHAR(1024) NULL,
    request_id   VARCHAR(128)  NULL,
    from_version INT UNSIGNED  NULL,
    created_at   DATETIME(6)   NOT NULL,
    CONSTRAINT pk_payment_log PRIMARY KEY (log_id),
    CONSTRAINT uq_payment_log_transition UNIQUE (payment_id, from_version),
    CONSTRAINT fk_payment_log_payment FOREIGN KEY (payment_id)
        REFERENCES payment (payment_id) ON DELETE CASCADE,
    CONSTRAINT ck_payment_log_status
        CHECK (status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
    CONSTRAINT ck_payment_log_from_status CHECK (from_status IS NULL
        OR from_status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
    CONSTRAINT ck_payment_log_actor CHECK (actor IN ('MERCHANT', 'ACQUIRER', 'SYSTEM', 'ADMIN')),
    INDEX ix_payment_log_payment (payment_id, log_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
