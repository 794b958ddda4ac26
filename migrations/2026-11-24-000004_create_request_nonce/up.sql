-- Replay protection shared by every server instance: a (client, nonce) pair is accepted once
-- until it expires. Expired rows are purged in batches by `expires_at`.
CREATE TABLE request_nonce (
    client_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    nonce      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    CONSTRAINT pk_request_nonce PRIMARY KEY (client_id, nonce),
    INDEX ix_request_nonce_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
