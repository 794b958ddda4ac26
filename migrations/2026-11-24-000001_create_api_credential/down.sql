DROP TABLE IF EXISTS api_credential;
