ALTER TABLE api_credential
    DROP CONSTRAINT ck_api_credential_previous_client_secret,
    DROP COLUMN version,
    DROP COLUMN previous_client_secret_until,
    DROP COLUMN previous_client_secret_key_version,
    DROP COLUMN previous_client_secret;
