DROP TABLE IF EXISTS request_nonce;
