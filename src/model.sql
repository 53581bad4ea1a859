-- The application's tables: the one place the model is written, as the
-- app's models.py is for Flask-Migrate. 'make' compiles this file into exodb;
-- 'exodb db migrate' writes the revision that brings a database to it. See
-- "Changing the model" in README.md and MODEL in exodb(1).
--
-- The collation sits on the columns, so that the app's
-- filter_by(username=...) matches without regard to case and uses the unique
-- index. ON CONFLICT REPLACE gives the default to an explicit NULL, which an
-- ORM sends for a field it leaves unset. Uniqueness lives in named unique
-- indexes, so that it can change without rebuilding the table.

CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL COLLATE NOCASE,
	email VARCHAR(120) NOT NULL COLLATE NOCASE,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL ON CONFLICT REPLACE DEFAULT 'user'
	    CHECK (role IN ('user', 'admin')),
	is_approved BOOLEAN NOT NULL ON CONFLICT REPLACE DEFAULT 0
	    CHECK (is_approved IN (0, 1))
);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);
