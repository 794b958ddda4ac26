ALTER TABLE api_credential DROP COLUMN version;
ALTER TABLE api_credential DROP COLUMN previous_client_secret_until;
ALTER TABLE api_credential DROP COLUMN previous_client_secret_key_version;
ALTER TABLE api_credential DROP COLUMN previous_client_secret;
