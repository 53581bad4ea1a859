-- The differ's own target for the golden cases that give no "=== to": a
-- fixed schema (the app's first model), so that changing src/model.sql never
-- changes what these cases expect.
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
	is_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1))
);
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);
