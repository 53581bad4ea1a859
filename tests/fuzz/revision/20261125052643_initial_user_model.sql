-- exodb revision
-- id: 20261125052643
-- revises: none
-- message: Initial user model
-- created: 2026-11-25T05:26:43Z
-- destructive: downgrade: drop table users

-- +upgrade
-- create table users
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

-- +downgrade
-- drop table users (destructive)
DROP TABLE users;
