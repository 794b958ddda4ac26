-- Merchant self-service (api.md §10.3), in SQLite's dialect: the same columns and check as
-- migrations/2026-12-06-000002_merchant_self_service (see there for what each is for). The
-- check that the three previous-client-secret columns are set together rides on the last one
-- (SQLite adds no table constraint to an existing table; a column's CHECK may name the others).
ALTER TABLE api_credential ADD COLUMN previous_client_secret BLOB NULL;
ALTER TABLE api_credential ADD COLUMN previous_client_secret_key_version BIGINT NULL;
ALTER TABLE api_credential ADD COLUMN previous_client_secret_until TEXT NULL
    CHECK ((previous_client_secret IS NULL
            AND previous_client_secret_key_version IS NULL
            AND previous_client_secret_until IS NULL)
        OR (previous_client_secret IS NOT NULL
            AND previous_client_secret_key_version IS NOT NULL
            AND previous_client_secret_until IS NOT NULL));
ALTER TABLE api_credential ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
