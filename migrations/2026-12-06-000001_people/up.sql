-- People (api.md §10): back-office accounts, their database-backed sessions, and the operator
-- audit log. Additive: three new tables, nothing else changes.
--
-- * `operator_user`: one account. `email` is stored lower-cased (the domain's `Email`) in a
--   binary collation, so the unique key and every lookup compare exactly what was stored (a case
--   or accent-insensitive collation would merge accounts the domain keeps apart). A merchant role
--   comes with its merchant, a platform role without one. The TOTP secret is sealed like the
--   merchant secrets (AES-256-GCM ciphertext incl. its nonce, and the version of the key that
--   sealed it): both columns are set exactly when the second factor is PENDING or ON. `version`
--   is the optimistic-concurrency counter of `UPDATE … WHERE user_id = ? AND version = ?`, so
--   failed logins counted on several instances at once are all counted.
-- * `operator_session`: the database keeps only the SHA-256 of the cookie's token. Revoked
--   sessions stay until the purge forgets them.
-- * `operator_audit`: append-only; `audit_id` is the newest-first cursor. `role` is NULL when
--   nobody was authenticated (a failed login). Text columns a person typed are binary-collated,
--   so the `actor` and `action` filters match exactly on both stores.
CREATE TABLE operator_user (
    user_id          CHAR(36)       CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email            VARCHAR(254)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    role             VARCHAR(16)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    client_id        VARCHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NULL,
    password_hash    VARCHAR(255)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    disabled         BOOLEAN        NOT NULL DEFAULT FALSE,
    failed_logins    INT UNSIGNED   NOT NULL DEFAULT 0,
    locked_until     DATETIME(6)    NULL,
    totp_state       VARCHAR(8)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'OFF',
    totp_key_version INT UNSIGNED   NULL,
    totp_ciphertext  VARBINARY(512) NULL,
    created_at       DATETIME(6)    NOT NULL,
    updated_at       DATETIME(6)    NOT NULL,
    version          INT UNSIGNED   NOT NULL DEFAULT 0,
    CONSTRAINT pk_operator_user PRIMARY KEY (user_id),
    CONSTRAINT uq_operator_user_email UNIQUE (email),
    CONSTRAINT fk_operator_user_client FOREIGN KEY (client_id)
        REFERENCES api_credential (client_id),
    CONSTRAINT ck_operator_user_role CHECK (role IN
        ('ADMIN', 'OPERATOR', 'VIEWER', 'MERCHANT_ADMIN', 'MERCHANT_VIEWER')),
    CONSTRAINT ck_operator_user_scope CHECK (
        (role IN ('MERCHANT_ADMIN', 'MERCHANT_VIEWER') AND client_id IS NOT NULL)
        OR (role IN ('ADMIN', 'OPERATOR', 'VIEWER') AND client_id IS NULL)),
    CONSTRAINT ck_operator_user_totp CHECK (
        (totp_state = 'OFF' AND totp_key_version IS NULL AND totp_ciphertext IS NULL)
        OR (totp_state IN ('PENDING', 'ON')
            AND totp_key_version IS NOT NULL AND totp_ciphertext IS NOT NULL)),
    INDEX ix_operator_user_client (client_id, user_id),
    INDEX ix_operator_user_role (role, disabled)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE operator_session (
    token_hash   CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id      CHAR(36)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    revoked_at   DATETIME(6) NULL,
    CONSTRAINT pk_operator_session PRIMARY KEY (token_hash),
    CONSTRAINT fk_operator_session_user FOREIGN KEY (user_id)
        REFERENCES operator_user (user_id) ON DELETE CASCADE,
    INDEX ix_operator_session_user (user_id, revoked_at),
    INDEX ix_operator_session_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE operator_audit (
    audit_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    at         DATETIME(6)     NOT NULL,
    actor      VARCHAR(254)    CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    role       VARCHAR(16)     CHARACTER SET ascii COLLATE ascii_bin NULL,
    action     VARCHAR(64)     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    target     VARCHAR(255)    CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    outcome    VARCHAR(8)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    ip         VARCHAR(64)     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    request_id VARCHAR(128)    NULL,
    CONSTRAINT pk_operator_audit PRIMARY KEY (audit_id),
    CONSTRAINT ck_operator_audit_role CHECK (role IS NULL OR role IN
        ('ADMIN', 'OPERATOR', 'VIEWER', 'MERCHANT_ADMIN', 'MERCHANT_VIEWER')),
    CONSTRAINT ck_operator_audit_outcome CHECK (outcome IN ('SUCCESS', 'FAILURE', 'DENIED')),
    INDEX ix_operator_audit_actor (actor, audit_id),
    INDEX ix_operator_audit_action (action, audit_id),
    INDEX ix_operator_audit_at (at, audit_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
