-- Merchants (the original design's `api_credential`). Secrets are stored only sealed
-- (AES-256-GCM ciphertext incl. its nonce) with the version of the key that sealed them.
-- Identifier columns are ASCII with a binary collation: the domain compares them byte-wise
-- (case-sensitive), and ORDER BY / cursors must agree with that.
CREATE TABLE api_credential (
    client_id                  VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    client_name                VARCHAR(100)  NOT NULL,
    client_secret              VARBINARY(512) NOT NULL,
    client_secret_key_version  INT UNSIGNED  NOT NULL,
    webhook_secret             VARBINARY(512) NOT NULL,
    webhook_secret_key_version INT UNSIGNED  NOT NULL,
    return_url                 VARCHAR(2048) NULL,
    status                     VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at                 DATETIME(6)   NOT NULL,
    updated_at                 DATETIME(6)   NOT NULL,
    CONSTRAINT pk_api_credential PRIMARY KEY (client_id),
    CONSTRAINT ck_api_credential_status CHECK (status IN ('ACTIVE', 'INACTIVE'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
