#!/bin/bash
# db migrate's PostgreSQL sections on a real server: a project develops on
# SQLite (db migrate writes each revision from its model there), and the same
# migrations/ go to PostgreSQL with db upgrade, and come back with db
# downgrade. A throwaway cluster of this script's own (tests/pg.sh).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/pg.sh
. "$(dirname "$0")/pg.sh"

# step MODEL MESSAGE [OPTION...]: the model becomes MODEL (SQL); db migrate
# writes its revision on SQLite, which is upgraded to it; then PostgreSQL is.
step() {
	local model=$1 message=$2
	shift 2
	printf '%s\n' "$model" >model.sql
	x --model model.sql db migrate -m "$message" "$@"; expect_ok
	grep -q '^-- +upgrade postgresql$' "$(out)" || fail "$message: no PostgreSQL section: $(cat "$(out)")"
	x db upgrade; expect_ok
	p db upgrade; expect_ok
	expect_err "^applied [0-9]{14} $message\$"
}

# cols TABLE: name|type|nullable|default|collation of each column, in order.
cols() {
	pq "SELECT string_agg(column_name || '|' || data_type || coalesce('(' || character_maximum_length || ')', '') || '|' || is_nullable || '|' || coalesce(column_default, '') || '|' || coalesce(collation_name, ''), ' ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '$1'"
}

# The seed's model: the table users as src/model.sql has it.
USERS="$(sed -n '/^CREATE /,$p' "$TOP/src/model.sql")"

t_autogen_on_postgresql() {
	pg_db
	x db init; expect_ok
	step "$USERS" "Initial user model"
	# The model as SQLAlchemy maps it: an identity id, boolean, the
	# case-insensitive collation, an explicit NULL takes the default.
	[ "$(cols users)" = "id|integer|NO|| username|character varying(64)|NO||nocase email|character varying(120)|NO||nocase password_hash|character varying(256)|NO|| role|character varying(20)|NO|'user'::character varying| is_approved|boolean|NO|false|" ] ||
	    fail "users: $(cols users)"
	[ "$(pq "SELECT attidentity FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'id'")" = d ] ||
	    fail "id is not an identity column"
	pq "INSERT INTO users (username, email, password_hash, role, is_approved) VALUES ('alice', 'Alice@Example.org', 'h', NULL, NULL)" >/dev/null ||
	    fail "an explicit NULL for role and is_approved"
	[ "$(pq "SELECT id || '|' || role || '|' || is_approved FROM users")" = "1|user|false" ] ||
	    fail "defaults: $(pq "SELECT * FROM users")"
	! pq "INSERT INTO users (username, email, password_hash) VALUES ('ALICE', 'b@x.org', 'h')" 2>/dev/null ||
	    fail "username is unique without regard to case"
	! pq "INSERT INTO users (username, email, password_hash) VALUES ('bob', 'alice@EXAMPLE.ORG', 'h')" 2>/dev/null ||
	    fail "email is unique without regard to case"
	[ "$(pq "SELECT username FROM users WHERE username = 'ALICE'")" = alice ] ||
	    fail "username = 'ALICE' does not find alice"
	! pq "INSERT INTO users (username, email, password_hash, role) VALUES ('carol', 'c@x.org', 'h', 'root')" 2>/dev/null ||
	    fail "role CHECK"
	pq "UPDATE users SET role = NULL" >/dev/null || fail "UPDATE to NULL"
	[ "$(pq "SELECT role FROM users")" = user ] || fail "UPDATE to NULL: $(pq "SELECT role FROM users")"

	# Create a table (a foreign key, an index), add a column.
	POSTS="CREATE TABLE posts (
	id INTEGER NOT NULL PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id),
	title VARCHAR(100) NOT NULL,
	body TEXT
);
CREATE INDEX ix_posts_user_id ON posts (user_id);"
	USERS2=$(printf '%s\n' "$USERS" | sed 's/^\t    CHECK (is_approved IN (0, 1))$/&,\n\tlast_login DATETIME/')
	step "$USERS2
$POSTS" "Posts and last login"
	[ "$(cols posts)" = "id|integer|NO|| user_id|integer|NO|| title|character varying(100)|NO|| body|text|YES||" ] ||
	    fail "posts: $(cols posts)"
	[ "$(pq "SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'last_login'")" = "timestamp without time zone" ] ||
	    fail "last_login"
	[ "$(pq "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_posts_user_id'")" = "CREATE INDEX ix_posts_user_id ON public.posts USING btree (user_id)" ] ||
	    fail "ix_posts_user_id"
	[ "$(pq "SELECT conname FROM pg_constraint WHERE conrelid = 'posts'::regclass AND contype = 'f'")" = posts_user_id_fkey ] ||
	    fail "foreign key"
	pq "INSERT INTO posts (user_id, title) VALUES (1, 'first'), (1, 'second')" >/dev/null || fail "posts rows"
	! pq "INSERT INTO posts (user_id, title) VALUES (7, 'nobody')" 2>/dev/null || fail "foreign key not enforced"

	# A type change, a default, NOT NULL over a NULL, a CHECK: SQLite
	# rebuilds, PostgreSQL alters in place and keeps the rows.
	POSTS3="CREATE TABLE posts (
	id INTEGER NOT NULL PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id),
	title VARCHAR(200) NOT NULL CHECK (length(title) > 0),
	body TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_posts_user_id ON posts (user_id);"
	step "$USERS2
$POSTS3" "Longer titles, bodies never NULL"
	grep -q 'ALTER COLUMN title TYPE VARCHAR(200)' "$(ls migrations/versions/*_longer_titles*)" || fail "not altered in place"
	[ "$(cols posts)" = "id|integer|NO|| user_id|integer|NO|| title|character varying(200)|NO|| body|text|NO|''::text|" ] ||
	    fail "posts: $(cols posts)"
	[ "$(pq "SELECT count(*) || '|' || count(*) FILTER (WHERE body = '') FROM posts")" = "2|2" ] ||
	    fail "rows: $(pq "SELECT * FROM posts")"
	! pq "INSERT INTO posts (user_id, title) VALUES (1, '')" 2>/dev/null || fail "title CHECK"

	# A unique index.
	step "$USERS2
$POSTS3
CREATE UNIQUE INDEX ix_posts_title ON posts (title);" "Unique titles"
	! pq "INSERT INTO posts (user_id, title) VALUES (1, 'first')" 2>/dev/null || fail "ix_posts_title not unique"

	# Drop a column (of the table whose defaults a trigger keeps) and a
	# table, which needs --allow-destructive.
	printf '%s\n' "$USERS" >model.sql
	x --model model.sql db migrate -m "Drop posts and last login" --drop-unknown
	expect_status 1
	expect_err 'allow-destructive'
	step "$USERS" "Drop posts and last login" --drop-unknown --allow-destructive
	[ "$(pq "SELECT count(*) FROM information_schema.tables WHERE table_name = 'posts'")" = 0 ] || fail "posts kept"
	[ "$(pq "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'last_login'")" = 0 ] ||
	    fail "last_login kept"
	pq "INSERT INTO users (username, email, password_hash, role) VALUES ('bob', 'bob@x.org', 'h', NULL)" >/dev/null ||
	    fail "the defaults trigger after the drop"

	# And back, revision by revision, to nothing; then up again.
	p db downgrade base --no-backup --yes; expect_ok
	[ "$(pq "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'exodb_revisions'")" = 0 ] ||
	    fail "tables left: $(pq "SELECT string_agg(table_name, ' ') FROM information_schema.tables WHERE table_schema = 'public'")"
	[ "$(pq "SELECT count(*) FROM pg_proc WHERE proname LIKE 'exodb_defaults%'")" = 0 ] || fail "trigger function left"
	p db upgrade; expect_ok
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 5 ] || fail "five applied"
	p db current; expect_ok
	[ "$(out)" = "$(x db current && out)" ] || fail "PostgreSQL and SQLite are not at the same head"
}

# This repository's own migrations/ carry PostgreSQL sections: the seed's
# users table, as on SQLite, and back.
t_repository_migrations_on_postgresql() {
	pg_db
	cp -R "$TOP/migrations" .
	p db upgrade; expect_ok
	expect_err '^applied 20261125052643 Initial user model$'
	expect_err '^applied 20261201205726 Case-insensitive columns; defaults for an ORM'"'"'s NULLs$'
	[ "$(cols users)" = "id|integer|NO|| username|character varying(64)|NO||nocase email|character varying(120)|NO||nocase password_hash|character varying(256)|NO|| role|character varying(20)|NO|'user'::character varying| is_approved|boolean|NO|false|" ] ||
	    fail "users: $(cols users)"
	pq "INSERT INTO users (username, email, password_hash, role) VALUES ('alice', 'a@x.org', 'h', NULL)" >/dev/null || fail "explicit NULL"
	! pq "INSERT INTO users (username, email, password_hash) VALUES ('Alice', 'b@x.org', 'h')" 2>/dev/null || fail "NOCASE unique"
	# The chain builds what db model says PostgreSQL holds: the same
	# schema as the model's SQL run on an empty database.
	x db model --dialect postgresql; expect_ok
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U exodb -d postgres -c "CREATE DATABASE model" >/dev/null || fail "database model"
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U exodb -d model -f "$T/.out" >/dev/null || fail "db model's SQL does not run"
	"$PG_BIN/pg_dump" -s -O -x -h "$PG_DIR" -U exodb -d model >model.dump || fail "pg_dump model"
	"$PG_BIN/pg_dump" -s -O -x -T exodb_revisions -h "$PG_DIR" -U exodb -d "$PGNAME" >chain.dump || fail "pg_dump chain"
	# (pg_dump's \restrict lines carry a random key.)
	diff <(grep -v '^\\\(un\)\?restrict ' model.dump) <(grep -v '^\\\(un\)\?restrict ' chain.dump) >&4 ||
	    fail "the chain's schema is not the model's"
	grep -q 'CREATE TRIGGER exodb_defaults' chain.dump || fail "pg_dump dumped no trigger"
	p db downgrade 20261125052643 --no-backup --yes; expect_ok
	pq "INSERT INTO users (username, email, password_hash) VALUES ('ALICE', 'c@x.org', 'h')" >/dev/null 2>&1 &&
	    fail "the first revision's index ignores case too"
	p db downgrade base --no-backup --yes; expect_ok
	[ "$(pq "SELECT count(*) FROM pg_class WHERE relname = 'users'")" = 0 ] || fail "users kept"
}

run_tests
