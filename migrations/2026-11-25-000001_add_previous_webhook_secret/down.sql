ALTER TABLE api_credential
    DROP CONSTRAINT ck_api_credential_previous_webhook_secret,
    DROP COLUMN previous_webhook_secret_until,
    DROP COLUMN previous_webhook_secret_key_version,
    DROP COLUMN previous_webhook_secret;
