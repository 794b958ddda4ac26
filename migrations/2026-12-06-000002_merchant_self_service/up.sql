-- Merchant self-service (api.md §10.3):
-- * client-secret rotation with a grace: the client secret before the last rotation (sealed like
--   the others) keeps verifying signed requests, next to the new one, until
--   `previous_client_secret_until`. The three columns are set together or not at all.
-- * `version`, the compare-and-set guard of every change of a merchant (0 when registered, one
--   more per change), so two concurrent changes never overwrite each other.
ALTER TABLE api_credential
    ADD COLUMN previous_client_secret             VARBINARY(512)  NULL,
    ADD COLUMN previous_client_secret_key_version INT UNSIGNED    NULL,
    ADD COLUMN previous_client_secret_until       DATETIME(6)     NULL,
    ADD COLUMN version                            BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD CONSTRAINT ck_api_credential_previous_client_secret CHECK (
        (previous_client_secret IS NULL
            AND previous_client_secret_key_version IS NULL
            AND previous_client_secret_until IS NULL)
        OR (previous_client_secret IS NOT NULL
            AND previous_client_secret_key_version IS NOT NULL
            AND previous_client_secret_until IS NOT NULL));
