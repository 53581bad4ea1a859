#!/bin/sh
# For README's data example (tests/examples.py runs it first, unseen): a
# database at the head of a chain that built a looser users table (no
# collation, nullable hash and role, a bio column), with 120 rows: 100 NULL
# roles, a NULL hash (id 7), 'User3' beside 'user3' (id 42), three bios.
set -e
cat >old.sql <<'SQL'
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256),
	role VARCHAR(20),
	is_approved BOOLEAN NOT NULL DEFAULT 0,
	bio TEXT
);
CREATE UNIQUE INDEX ix_users_username ON users (username);
SQL
exodb -q db init
exodb -q --model old.sql db migrate -m "Old model"
exodb -q db upgrade
rm old.sql
sqlite3 instance/dev.db "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 120)
    INSERT INTO users (id, username, email, password_hash, role, bio)
    SELECT n, CASE n WHEN 42 THEN 'User3' ELSE 'user' || n END,
	'u' || n || '@example.org', CASE n WHEN 7 THEN NULL ELSE 'h' END,
	CASE WHEN n <= 100 THEN NULL ELSE 'admin' END,
	CASE WHEN n <= 3 THEN 'bio ' || n END FROM c"
