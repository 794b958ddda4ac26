-- People (api.md §10), in SQLite's dialect: the same tables, columns, keys and checks as
-- migrations/2026-12-06-000001_people (see there for what each part is for). Text compares
-- byte-wise (SQLite's BINARY collation), as the MySQL columns' binary collations do.
CREATE TABLE operator_user (
    user_id          TEXT    NOT NULL PRIMARY KEY,
    email            TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN
        ('ADMIN', 'OPERATOR', 'VIEWER', 'MERCHANT_ADMIN', 'MERCHANT_VIEWER')),
    client_id        TEXT    NULL REFERENCES api_credential (client_id),
    password_hash    TEXT    NOT NULL,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE CHECK (disabled IN (0, 1)),
    failed_logins    BIGINT  NOT NULL DEFAULT 0,
    locked_until     TEXT    NULL,
    totp_state       TEXT    NOT NULL DEFAULT 'OFF',
    totp_key_version BIGINT  NULL,
    totp_ciphertext  BLOB    NULL,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    version          BIGINT  NOT NULL DEFAULT 0,
    CONSTRAINT uq_operator_user_email UNIQUE (email),
    CONSTRAINT ck_operator_user_scope CHECK (
        (role IN ('MERCHANT_ADMIN', 'MERCHANT_VIEWER') AND client_id IS NOT NULL)
        OR (role IN ('ADMIN', 'OPERATOR', 'VIEWER') AND client_id IS NULL)),
    CONSTRAINT ck_operator_user_totp CHECK (
        (totp_state = 'OFF' AND totp_key_version IS NULL AND totp_ciphertext IS NULL)
        OR (totp_state IN ('PENDING', 'ON')
            AND totp_key_version IS NOT NULL AND totp_ciphertext IS NOT NULL))
);
CREATE INDEX ix_operator_user_client ON operator_user (client_id, user_id);
CREATE INDEX ix_operator_user_role ON operator_user (role, disabled);

CREATE TABLE operator_session (
    token_hash   TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES operator_user (user_id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    revoked_at   TEXT NULL
);
CREATE INDEX ix_operator_session_user ON operator_session (user_id, revoked_at);
CREATE INDEX ix_operator_session_created ON operator_session (created_at);

CREATE TABLE operator_audit (
    audit_id   INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    role       TEXT    NULL CHECK (role IS NULL OR role IN
        ('ADMIN', 'OPERATOR', 'VIEWER', 'MERCHANT_ADMIN', 'MERCHANT_VIEWER')),
    action     TEXT    NOT NULL,
    target     TEXT    NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('SUCCESS', 'FAILURE', 'DENIED')),
    ip         TEXT    NULL,
    request_id TEXT    NULL
);
CREATE INDEX ix_operator_audit_actor ON operator_audit (actor, audit_id);
CREATE INDEX ix_operator_audit_action ON operator_audit (action, audit_id);
CREATE INDEX ix_operator_audit_at ON operator_audit (at, audit_id);
