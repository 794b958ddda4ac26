DROP TABLE IF EXISTS delivery_attempt;
