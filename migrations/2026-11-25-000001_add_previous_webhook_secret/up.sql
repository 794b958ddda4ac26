-- Webhook-secret rotation: the secret before the last rotation (sealed like the others) keeps
-- signing deliveries, next to the new one, until `previous_webhook_secret_until`. The three
-- columns are set together or not at all.
ALTER TABLE api_credential
    ADD COLUMN previous_webhook_secret             VARBINARY(512) NULL AFTER webhook_secret_key_version,
    ADD COLUMN previous_webhook_secret_key_version INT UNSIGNED   NULL AFTER previous_webhook_secret,
    ADD COLUMN previous_webhook_secret_until       DATETIME(6)    NULL AFTER previous_webhook_secret_key_version,
    ADD CONSTRAINT ck_api_credential_previous_webhook_secret CHECK (
        (previous_webhook_secret IS NULL
            AND previous_webhook_secret_key_version IS NULL
            AND previous_webhook_secret_until IS NULL)
        OR (previous_webhook_secret IS NOT NULL
            AND previous_webhook_secret_key_version IS NOT NULL
            AND previous_webhook_secret_until IS NOT NULL));
