-- exodb revision
-- id: 20261201205726
-- revises: 20261125052643
-- message: Case-insensitive columns; defaults for an ORM's NULLs
-- created: 2026-12-01T20:57:26Z
-- model: 3b058e03b892723e108199c6a3e7660e18ecff49bbf219d4e398c427ae8a1192

-- +upgrade
-- rebuild table users: users.username collation none -> NOCASE; users.email collation none -> NOCASE
CREATE TABLE exodb_new_users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL COLLATE NOCASE,
	email VARCHAR(120) NOT NULL COLLATE NOCASE,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL ON CONFLICT REPLACE DEFAULT 'user'
	    CHECK (role IN ('user', 'admin')),
	is_approved BOOLEAN NOT NULL ON CONFLICT REPLACE DEFAULT 0
	    CHECK (is_approved IN (0, 1))
);
INSERT INTO exodb_new_users (id, username, email, password_hash, role, is_approved)
	SELECT id, username, email, password_hash, role, is_approved FROM users;
DROP TABLE users;
PRAGMA legacy_alter_table = ON;
ALTER TABLE exodb_new_users RENAME TO users;
PRAGMA legacy_alter_table = OFF;
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);

-- +downgrade
-- rebuild table users: users.username collation NOCASE -> none; users.email collation NOCASE -> none
CREATE TABLE exodb_new_users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
	is_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1))
);
INSERT INTO exodb_new_users (id, username, email, password_hash, role, is_approved)
	SELECT id, username, email, password_hash, role, is_approved FROM users;
DROP TABLE users;
PRAGMA legacy_alter_table = ON;
ALTER TABLE exodb_new_users RENAME TO users;
PRAGMA legacy_alter_table = OFF;
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);

-- +upgrade postgresql
-- alter table users (SQLite rebuilds it: users.username collation none -> NOCASE; users.email collation none -> NOCASE)
DROP INDEX ix_users_username;
DROP INDEX ix_users_email;
ALTER TABLE users ALTER COLUMN username TYPE VARCHAR(64) COLLATE nocase;
ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(120) COLLATE nocase;
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE OR REPLACE FUNCTION exodb_defaults_users() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN
	NEW.role := coalesce(NEW.role, ''user'');
	NEW.is_approved := coalesce(NEW.is_approved, false);
	RETURN NEW;
END';
CREATE TRIGGER exodb_defaults BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION exodb_defaults_users();

-- +downgrade postgresql
-- alter table users (SQLite rebuilds it: users.username collation NOCASE -> none; users.email collation NOCASE -> none)
DROP INDEX ix_users_username;
DROP INDEX ix_users_email;
ALTER TABLE users ALTER COLUMN username TYPE VARCHAR(64);
ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(120);
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE nocase);
CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE nocase);
DROP TRIGGER exodb_defaults ON users;
DROP FUNCTION exodb_defaults_users();
