#!/bin/bash
# Drift on PostgreSQL, on a real server (tests/pg.sh): the live schema, read
# from pg_catalog (introspect-pg.c), against what the chain's PostgreSQL
# sections build; db check's exit statuses there; and db migrate's proof of
# a new revision's sections on the server before it writes the file.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/pg.sh
. "$(dirname "$0")/pg.sh"

# model_plus SQL: a model file, the compiled-in one with SQL after it, a
# statement a line.
model_plus() {
	{ cat "$TOP/src/model.sql"; printf '%s\n' "$1" | sed 's/; /;\n/g'; } \
	    >model.sql
}

# The model as render_pg_model() creates it reads, through introspect_pg(),
# as the same schema as the chain's PostgreSQL sections (render_pg_ops()'s
# CREATE TABLE) build: no drift.
t_round_trip_model() {
	pg_db
	x db init
	x db migrate -m "Initial user model"
	expect_ok
	x db model --dialect postgresql
	expect_ok
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U exodb \
	    -d "$PGNAME" -f "$T/.out" >/dev/null 2>"$T/psql.err" ||
	    fail "psql refuses the model: $(cat "$T/psql.err")"
	[ "$(pq "SELECT attidentity FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'id'")" = d ] ||
	    fail "the model has no identity column"
	p db stamp head
	expect_ok
	p db check
	expect_ok
	[ ! -s "$T/.out" ] || fail "db check found something"
	expect_err "database is at head, without drift, and matches the model"
	p db status
	expect_ok
	expect_out '^drift:     none$'
	p db status --json
	expect_ok
	expect_out '"drift":\[\]'
	p db check --json
	expect_ok
	expect_out '"at_head":true,.*"matches_model":true,.*"drift":\[\]'
}

t_drift_added_column() {
	pg_seed
	pq "ALTER TABLE users ADD COLUMN bio text"
	p db check
	expect_status 1
	expect_out '^drift column users\.bio: in the database, not in the chain$'
	expect_one_error "db check: postgresql:///$PGNAME.*: 1 object drifted from the migration chain; undo that in the database, or record it with 'exodb db baseline -m MESSAGE'$"
	p db status
	expect_ok
	expect_out '^drift:     column users\.bio: in the database, not in the chain$'
	snapshot
	model_plus "CREATE INDEX ix_users_role ON users (role);"
	snapshot
	p --model model.sql db migrate -m "role index"
	expect_status 1
	expect_one_error "db migrate: postgresql:///$PGNAME.* has drifted from the migration chain \(column users\.bio: in the database, not in the chain\); undo that in the database, or record it with 'exodb db baseline -m MESSAGE'; no revision written$"
	expect_unchanged
	pq "ALTER TABLE users DROP COLUMN bio"
	p db check
	expect_ok
}

t_drift_indexes() {
	pg_seed
	pq "CREATE INDEX ix_users_role ON users (role)"
	pq "CREATE INDEX ix_users_lower ON users (lower(email)) WHERE is_approved"
	pq "DROP INDEX ix_users_email"
	p db check
	expect_status 1
	expect_out '^drift index ix_users_role on users: in the database, not in the chain$'
	expect_out '^drift index ix_users_lower on users: in the database, not in the chain$'
	expect_out '^drift index ix_users_email on users: in the chain, not in the database$'
	[ "$(grep -c '^drift ' "$T/.out")" = 3 ] || fail "not 3 items"
	expect_one_error "3 objects drifted from the migration chain"
}

# A changed default, NOT NULL, identity and collation, each named.
t_drift_columns() {
	pg_seed
	pq "ALTER TABLE users ALTER COLUMN role SET DEFAULT 'admin'"
	p db check
	expect_status 1
	expect_out "^drift table users differs from the chain's: users\\.role default 'user'::character varying -> 'admin'::character varying$"
	pq "ALTER TABLE users ALTER COLUMN role SET DEFAULT 'user'"
	pq "ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL"
	pq "ALTER TABLE users ALTER COLUMN id DROP IDENTITY"
	pq "ALTER TABLE users ALTER COLUMN email TYPE varchar(200) COLLATE \"C\""
	p db check
	expect_status 1
	expect_out "users\\.password_hash becomes nullable"
	expect_out "users\\.id identity by default -> none"
	expect_out "users\\.email type character varying\\(120\\) -> character varying\\(200\\)"
	expect_out "users\\.email collation nocase -> C"
	[ "$(grep -c '^drift ' "$T/.out")" = 1 ] || fail "not one table"
}

# Constraints, tables, triggers (and their functions) and views.
t_drift_objects() {
	pg_seed
	pq "ALTER TABLE users ADD CONSTRAINT users_name_len CHECK (length(username) > 2)"
	p db check
	expect_status 1
	expect_out "^drift table users differs from the chain's: users\\.username check none -> \\(length\\(\\(username\\)::text\\) > 2\\)$"
	pq "ALTER TABLE users DROP CONSTRAINT users_name_len"
	pq "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"
	p db check
	expect_status 1
	expect_out "^drift table users differs from the chain's: users gains UNIQUE \\(email\\)$"
	pq "ALTER TABLE users DROP CONSTRAINT users_email_key"
	pq "CREATE TABLE notes (id int PRIMARY KEY, author int REFERENCES users (id))"
	pq "CREATE VIEW approved AS SELECT id, username FROM users WHERE is_approved"
	pq "CREATE OR REPLACE FUNCTION exodb_defaults_users() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'"
	p db check
	expect_status 1
	expect_out '^drift table notes: in the database, not in the chain$'
	expect_out '^drift view approved: in the database, not in the chain$'
	expect_out "^drift trigger exodb_defaults on users differs from the chain's$"
	pq "DROP TRIGGER exodb_defaults ON users"
	p db check
	expect_status 1
	expect_out '^drift trigger exodb_defaults on users: in the chain, not in the database$'
}

# A foreign key the chain makes, dropped and changed by hand.
t_drift_foreign_key() {
	pg_db
	x db init
	pgrev 20260101000001 none \
	    "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int CONSTRAINT b_a_fkey REFERENCES a (id) ON DELETE CASCADE);" \
	    "DROP TABLE b; DROP TABLE a;"
	p db upgrade
	expect_ok
	p db status
	expect_ok
	expect_out '^drift:     none$'
	pq "ALTER TABLE b DROP CONSTRAINT b_a_fkey; ALTER TABLE b ADD CONSTRAINT b_a_fkey FOREIGN KEY (a_id) REFERENCES a (id)"
	p db status
	expect_ok
	expect_out "^drift:     table b differs from the chain's: b foreign keys change$"
}

# db check: 0 at head without drift, 1 with revisions pending or drift, 3
# when it cannot tell (no server, a chain the server does not replay).
t_check_statuses() {
	pg_seed
	p db check
	expect_ok
	model_plus "CREATE INDEX ix_users_role ON users (role);"
	p --model model.sql db migrate -m "role index"
	expect_ok
	p db check
	expect_status 1
	expect_out '^pending [0-9]{14} role index$'
	expect_one_error "1 revision pending; run 'exodb db upgrade'"
	p db upgrade
	expect_ok
	p --model model.sql db check
	expect_ok
	pq "DROP INDEX ix_users_role"
	p --model model.sql db check
	expect_status 1
	expect_out '^drift index ix_users_role on users: in the chain, not in the database$'
	x -D "postgresql:///nosuch?host=$T/nothing&user=exodb" db check
	expect_status 3
	expect_one_error "db check: postgresql:///nosuch\\?host=.*: cannot connect: "
	x -D "postgresql:///nosuch?host=$T/nothing&user=exodb" db status
	expect_status 1
}

# A chain whose PostgreSQL sections the server refuses: drift cannot be
# told (db check exits 3), and nothing of the replay is left behind.
t_chain_does_not_replay() {
	pg_seed
	printf -- '-- exodb revision\n-- id: 20990101000000\n-- revises: %s\n-- message: broken\n-- created: 2099-01-01T00:00:00Z\n\n-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 1;\n\n-- +upgrade postgresql\nALTER TABLE nosuch ADD COLUMN y int;\n\n-- +downgrade postgresql\nSELECT 1;\n' \
	    "$(ls migrations/versions | cut -c1-14)" \
	    >migrations/versions/20990101000000_broken.sql
	p db stamp head
	expect_ok
	p db check
	expect_status 3
	expect_one_error "db check: the migration chain does not replay on the server: migrations/versions/20990101000000_broken\\.sql:14: relation \"nosuch\" does not exist$"
	p db status
	expect_ok
	expect_out "^drift:     not checked: the migration chain does not replay on the server: migrations/versions/20990101000000_broken\\.sql:14: "
	[ "$(pq "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'exodb%'")" = 0 ] ||
	    fail "a schema was left"
}

# db migrate on PostgreSQL: the revision's PostgreSQL sections run on the
# server first, rolled back; then db upgrade applies them and there is no
# drift.
t_migrate_proven() {
	pg_seed
	pq "INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@x', 'h'), ('b', 'b@x', 'h')"
	model_plus "CREATE INDEX ix_users_role ON users (role);"
	p --model model.sql db migrate -m "role index"
	expect_ok
	expect_err "detected create index ix_users_role on users"
	expect_out '^migrations/versions/[0-9]{14}_role_index\.sql$'
	grep -q '^-- +upgrade postgresql$' migrations/versions/*_role_index.sql ||
	    fail "no PostgreSQL section"
	[ "$(pq "SELECT to_regclass('ix_users_role') IS NULL")" = t ] ||
	    fail "the proof was kept"
	p --model model.sql db upgrade
	expect_ok
	p --model model.sql db check
	expect_ok
}

# step MESSAGE [OPTION] TABLE: db migrate on the server to a model of the
# users table and TABLE, then db upgrade, after which db check finds nothing.
step() {
	model_plus "$3"
	# shellcheck disable=SC2086 # an option or nothing
	p --model model.sql db migrate -m "$1" $2
	expect_ok
	expect_out "^migrations/versions/[0-9]{14}_.*\\.sql$"
	p --model model.sql db upgrade
	expect_ok
	p --model model.sql db check
	expect_ok
}

# Each kind of change db migrate makes, proven on the server and applied.
t_migrate_kinds() {
	pg_seed
	step "notes" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(100));"
	step "type" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200));"
	step "default" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) DEFAULT 'none');"
	pq "INSERT INTO notes (id, body) VALUES (1, NULL)"
	step "not null" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) NOT NULL DEFAULT 'none');"
	[ "$(pq "SELECT body FROM notes")" = none ] || fail "the NULL did not take the default"
	step "index" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) NOT NULL DEFAULT 'none'); CREATE INDEX ix_notes_body ON notes (body);"
	step "unique" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) NOT NULL DEFAULT 'none'); CREATE UNIQUE INDEX ix_notes_body ON notes (body);"
	step "check" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) NOT NULL DEFAULT 'none' CHECK (length(body) < 300)); CREATE UNIQUE INDEX ix_notes_body ON notes (body);"
	step "extra" "" "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) NOT NULL DEFAULT 'none' CHECK (length(body) < 300), extra TEXT); CREATE UNIQUE INDEX ix_notes_body ON notes (body);"
	step "drop extra" --allow-destructive "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(200) NOT NULL DEFAULT 'none' CHECK (length(body) < 300)); CREATE UNIQUE INDEX ix_notes_body ON notes (body);"
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 10 ] || fail "not 10 revisions"
	p db downgrade base --yes --no-backup
	expect_ok
	[ "$(pq "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'notes')")" = 0 ] ||
	    fail "tables left"
}

# A section the server refuses over its rows: no file, nothing kept, the
# statement named.
t_migrate_refused() {
	pg_seed
	pq "INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@x', 'h'), ('b', 'b@x', 'h')"
	model_plus "CREATE UNIQUE INDEX ix_users_role ON users (role);"
	snapshot
	p --model model.sql db migrate -m "unique role"
	expect_status 1
	expect_one_error "db migrate: no revision written: the server refuses its PostgreSQL upgrade at line 2, 'CREATE UNIQUE INDEX ix_users_role ON users \\(role\\)': could not create unique index \"ix_users_role\" \\(rolled back\\)$"
	expect_unchanged
	[ "$(pq "SELECT to_regclass('ix_users_role') IS NULL")" = t ] ||
	    fail "the index was kept"
	[ "$(pq "SELECT count(*) FROM users")" = 2 ] || fail "rows changed"
	# The same on SQLite, where the rows are checked before any SQL.
	x db upgrade
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@x', 'h'), ('b', 'b@x', 'h')"
	x --model model.sql db migrate -m "unique role"
	expect_status 1
}

# A revision that has no PostgreSQL form is not written for a PostgreSQL
# database.
t_migrate_no_pg_sections() {
	pg_seed
	model_plus "CREATE TABLE notes (body);"
	snapshot
	p --model model.sql db migrate -m "untyped"
	expect_status 1
	expect_one_error "db migrate: no revision written: it has no PostgreSQL sections, which postgresql:///$PGNAME.* needs: column notes\\.body has no type, which PostgreSQL requires$"
	expect_unchanged
}

run_tests
