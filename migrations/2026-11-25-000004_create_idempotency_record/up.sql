-- Idempotency-Key records (api.md §3.1): one per (merchant, key), shared by every instance.
-- IN_FLIGHT while the first request runs (until lease_until), COMPLETED with the stored response
-- afterwards, until expires_at (24 h).
CREATE TABLE idempotency_record (
    client_id             VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    idempotency_key       VARCHAR(255)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    fingerprint           CHAR(64)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    state                 VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    response_status       SMALLINT UNSIGNED NULL,
    response_content_type VARCHAR(255)  NULL,
    response_location     VARCHAR(2048) NULL,
    response_body         MEDIUMBLOB    NULL,
    lease_until           DATETIME(6)   NOT NULL,
    expires_at            DATETIME(6)   NOT NULL,
    created_at            DATETIME(6)   NOT NULL,
    updated_at            DATETIME(6)   NOT NULL,
    CONSTRAINT pk_idempotency_record PRIMARY KEY (client_id, idempotency_key),
    CONSTRAINT fk_idempotency_client FOREIGN KEY (client_id) REFERENCES api_credential (client_id),
    CONSTRAINT ck_idempotency_state CHECK (state IN ('IN_FLIGHT', 'COMPLETED')),
    INDEX ix_idempotency_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
