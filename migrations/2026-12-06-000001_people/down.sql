-- Undoes 2026-12-06-000001_people: every account, session and audit row is lost.
DROP TABLE operator_audit;
DROP TABLE operator_session;
DROP TABLE operator_user;
