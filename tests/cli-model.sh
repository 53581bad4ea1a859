# End-to-end tests of the model: src/model.sql compiled in, db model and the
# fingerprint, --model and EXODB_MODEL, the refusals, renames, this
# repository's own revisions keeping every row, the user commands' check of
# the users table, and the app itself (Flask-SQLAlchemy) on what db upgrade
# makes.
. "$(dirname "$0")/lib.sh"

# The fingerprint db model printed on stderr.
fingerprint() {
	sed -n 's/^model \([0-9a-f]\{64\}\) .*/\1/p' "$T/.err"
}

t_db_model_prints_src_model_sql() {
	x db model; expect_ok
	# The canonical rendering is model.sql's CREATE statements, as written.
	sed -n '/^CREATE /,$p' "$TOP/src/model.sql" >"$T/want"
	diff "$T/want" "$T/.out" || fail "db model is not src/model.sql"
	fp=$(fingerprint)
	[ "$fp" = "$(sha256sum <"$T/.out" | cut -c 1-64)" ] ||
	    fail "fingerprint $fp is not the SHA-256 of the rendering"
	expect_err '\(src/model\.sql, compiled in\)$'
	x -q db model; expect_ok
	[ ! -s "$T/.err" ] || fail "-q still prints the fingerprint"
	x --version; expect_ok
	expect_out "^model $fp \(src/model\.sql, compiled in\)$"
	expect_out '^exodb [0-9.]+ \(SQLite [0-9.]+\)$'
}

t_readme_shows_the_model() {
	sed -n '/^<!-- model.sql -->$/,/^```$/p' "$TOP/README.md" |
	    sed -e '1,2d' -e '$d' >"$T/readme"
	sed -n '/^CREATE /,$p' "$TOP/src/model.sql" >"$T/want"
	[ -s "$T/readme" ] || fail "README has no model block"
	diff "$T/want" "$T/readme" || fail "README's model is not src/model.sql"
}

t_model_file_and_environment() {
	cat >m.sql <<'SQL'
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
SQL
	x --model m.sql db model; expect_ok
	expect_out '^CREATE TABLE notes'
	expect_err "^model [0-9a-f]{64} \(m\.sql\)$"
	fp=$(fingerprint)
	EXODB_MODEL=m.sql x db model; expect_ok
	[ "$(fingerprint)" = "$fp" ] || fail "EXODB_MODEL is not --model"
	# --model wins over the environment.
	EXODB_MODEL=missing.sql x --model m.sql db model; expect_ok
	# A migration from it records its fingerprint; the database gets it.
	x --model m.sql db init
	x --model m.sql db migrate -m notes; expect_ok
	f=$(out)
	grep -qx -- "-- model: $fp" "$f" || fail "header: $(head -n 7 "$f")"
	x --model m.sql db upgrade; expect_ok
	x --model m.sql db check; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'notes'")" = 1 ] || fail "no notes"
	# The compiled-in model wants users instead.
	x db check; expect_status 1
	expect_out '^needed create table users$'
}

t_bad_models_one_line_nothing_written() {
	x db init
	mkdir folder.sql
	: >empty.sql
	printf -- '-- nothing but a comment\n' >comment.sql
	printf 'CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n' >insert.sql
	printf 'CREATE VIRTUAL TABLE f USING fts5(body);\n' >virtual.sql
	printf 'CREATE TABLE g (a INT, b INT AS (a + 1));\n' >generated.sql
	printf 'CREATE TABLE t (x);\n\nCREAT TABLE u (y);\n' >syntax.sql
	printf 'CREATE TABLE t (\n\tx TEXT, -- exodb: renamed from\n\ty\n);\n' >note.sql
	# db check needs a database, even an empty one; it cannot tell whether
	# there is anything to do: it exits 3.
	x -D ck.db db upgrade; expect_ok
	for cmd in "db model" "db migrate -m m" "-D ck.db db check"; do
		st=1
		[ "$cmd" != "-D ck.db db check" ] || st=3
		# shellcheck disable=SC2086
		bad $st "missing\.sql: No such file or directory$" --model missing.sql $cmd
		# shellcheck disable=SC2086
		bad $st "folder\.sql: is a folder, not a model file$" --model folder.sql $cmd
		# shellcheck disable=SC2086
		bad $st "empty\.sql: no CREATE statement" --model empty.sql $cmd
		# shellcheck disable=SC2086
		bad $st "comment\.sql: no CREATE statement" --model comment.sql $cmd
		# shellcheck disable=SC2086
		bad $st "insert\.sql:2: only CREATE TABLE, INDEX, VIEW and TRIGGER" --model insert.sql $cmd
		# shellcheck disable=SC2086
		bad $st "virtual\.sql:1: virtual table f is not supported" --model virtual.sql $cmd
		# shellcheck disable=SC2086
		bad $st "generated\.sql: table g: generated column b is not supported" --model generated.sql $cmd
		# shellcheck disable=SC2086
		bad $st 'syntax\.sql:3: near "CREAT": syntax error$' --model syntax.sql $cmd
		# shellcheck disable=SC2086
		bad $st "note\.sql:2: 'renamed from' needs one column name$" --model note.sql $cmd
	done
	EXODB_MODEL=insert.sql bad 1 'insert\.sql:2: ' db model
	bad 2 '^exodb: usage: the model file is empty$' --model '' db model
	[ -z "$(ls migrations/versions)" ] || fail "a revision was written"
	[ ! -e instance/dev.db ] || fail "a database was made"
}

# A bare word as a DEFAULT (a typo for UNIQUE) is refused when the model
# loads, naming the column, by every command that reads the model; SQLite
# would keep it as text and db migrate render it as DEFAULT (NIQUE).
t_bare_word_default() {
	x db init
	printf 'CREATE TABLE t (\n\tid INTEGER PRIMARY KEY,\n\tname TEXT NOT NULL DEFAULT NIQUE\n);\n' >bare.sql
	for cmd in "db model" "db migrate -m m"; do
		# shellcheck disable=SC2086
		bad 1 "^exodb: ${cmd% -m m}: bare\.sql: table t: column name: DEFAULT NIQUE is a bare word, which SQLite would store as text; quote it as a string if text is meant$" --model bare.sql $cmd
	done
	[ -z "$(ls migrations/versions)" ] || fail "a revision was written"
	sed -i "s/DEFAULT NIQUE/DEFAULT 'NIQUE'/" bare.sql
	x --model bare.sql db model; expect_ok
}

# A rename declared in the model: the column is renamed, its rows kept; an
# annotation naming a column the database does not have is refused.
t_rename_annotation() {
	cat >m.sql <<'SQL'
CREATE TABLE people (id INTEGER PRIMARY KEY, mail TEXT NOT NULL);
SQL
	x --model m.sql db init
	x --model m.sql db migrate -m people; expect_ok
	x --model m.sql db upgrade; expect_ok
	q instance/dev.db "INSERT INTO people (mail) VALUES ('a@example.org')"
	cat >m.sql <<'SQL'
CREATE TABLE people (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL -- exodb: renamed from mail
);
SQL
	x --model m.sql db model; expect_ok
	expect_out '^	email TEXT NOT NULL -- exodb: renamed from mail$'
	x --model m.sql db migrate -m rename; expect_ok
	f=$(out)
	grep -q '^ALTER TABLE people RENAME COLUMN mail TO email;$' "$f" || fail "no rename in $f"
	x --model m.sql db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT email FROM people")" = a@example.org ] || fail "row lost"
	# Once done, the annotation is harmless.
	x --model m.sql db check; expect_ok
	# Naming a column the database does not have: refused, nothing written.
	sed 's/renamed from mail/renamed from nosuch/; s/email/address/' m.sql >n.sql
	bad 1 "db migrate: the model renames people\.address from nosuch, but the database's people has no column nosuch$" \
	    --model n.sql db migrate -m bad
}

# This repository's migrations/ take a database of the first model to the
# model of today with every row kept, and the app's lookups then ignore case.
t_repository_revisions_keep_every_row() {
	cp -r "$TOP/migrations" .
	first=$(ls migrations/versions | head -n 1 | cut -c 1-14)
	x db upgrade "$first"; expect_ok
	sqlite3 instance/dev.db <<'SQL'
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 500)
INSERT INTO users (username, email, password_hash, role, is_approved)
	SELECT printf('User%03d', n), printf('U%03d@Example.org', n), 'h' || n,
	    CASE n % 2 WHEN 0 THEN 'admin' ELSE 'user' END, n % 3 = 0 FROM c;
SQL
	before=$(q instance/dev.db "SELECT group_concat(id || '|' || username || '|' || email || '|' || password_hash || '|' || role || '|' || is_approved, ';') FROM (SELECT * FROM users ORDER BY id)")
	x db upgrade; expect_ok
	after=$(q instance/dev.db "SELECT group_concat(id || '|' || username || '|' || email || '|' || password_hash || '|' || role || '|' || is_approved, ';') FROM (SELECT * FROM users ORDER BY id)")
	[ "$before" = "$after" ] || fail "rows changed"
	[ "$(q instance/dev.db "SELECT count(*) FROM users")" = 500 ] || fail "count"
	# At head, the database is the compiled-in model.
	x db check; expect_ok
	[ "$(q instance/dev.db "SELECT id FROM users WHERE username = 'user007'")" = 7 ] || fail "case"
	q instance/dev.db "EXPLAIN QUERY PLAN SELECT id FROM users WHERE username = 'user007'" >plan
	grep -Eq 'USING (COVERING )?INDEX ix_users_username' plan || fail "plan: $(cat plan)"
	# Every revision of the repository parses, with or without a model line.
	x db history; expect_ok
	# And the way back keeps them too.
	x db downgrade "$first" --no-backup; expect_ok
	[ "$(q instance/dev.db "SELECT group_concat(id || '|' || username || '|' || email || '|' || password_hash || '|' || role || '|' || is_approved, ';') FROM (SELECT * FROM users ORDER BY id)")" = "$before" ] || fail "rows changed on the way back"
}

# The user commands check that users has what they use, and name the column.
t_user_commands_check_the_table() {
	cat >m.sql <<'SQL'
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL COLLATE NOCASE,
	email VARCHAR(120) NOT NULL COLLATE NOCASE,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'user'
);
SQL
	x --model m.sql db init
	x --model m.sql db migrate -m users; expect_ok
	x db upgrade; expect_ok
	bad 1 '^exodb: user list: table users has no column is_approved, which the user commands need$' user list
	bad 1 'user show: table users has no column is_approved' user show alice
	cat >m.sql <<'SQL'
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL COLLATE NOCASE,
	email VARCHAR(120) NOT NULL COLLATE NOCASE,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'user',
	is_approved BOOLEAN NOT NULL DEFAULT 0,
	team TEXT NOT NULL
);
SQL
	x --model m.sql db migrate -m team; expect_ok
	x db upgrade; expect_ok
	x user list; expect_ok
	snapshot
	# The check comes before the password is read.
	x user create alice --email a@example.org --password-stdin
	expect_status 1
	expect_one_error '^exodb: user create: column users\.team is NOT NULL without a default, which exodb cannot fill; give it a DEFAULT in the model$'
	expect_unchanged
}

# A model.sql that does not load fails the build, naming the file and line,
# and leaves no binary.
t_build_fails_on_a_bad_model() {
	[ -f "$TOP/build/main.o" ] || { info "skipped: no plain build in build/"; return 0; }
	mkdir -p b/build
	cp -p "$TOP/Makefile" b/
	cp -rp "$TOP/src" b/
	# The objects as they are: only the model is built again.
	cp -p "$TOP"/build/*.o "$TOP/build/model-sql.c" b/build/
	printf 'CREATE TABLE t (x);\n\nCREATE TABLE u (y) WITHOUT ROWID;\n' >b/src/model.sql
	EXODB_MODEL=elsewhere.sql run make -C b exodb
	[ "$rc" -ne 0 ] || fail "the build passed"
	grep -q '^exodb: db model: src/model.sql:3: PRIMARY KEY missing on table u$' "$T/.err" || fail "no file and line: $(cat "$T/.err")"
	[ ! -e b/exodb ] && [ ! -e b/exodb.new ] || fail "a binary was left"
}

# The app itself: the seed's Flask-SQLAlchemy User model on a database made
# by db upgrade.
t_flask_sqlalchemy_client() {
	cp -r "$TOP/migrations" .
	x db upgrade; expect_ok
	run /usr/bin/python3 "$TOP/tests/flask-client.py" instance/dev.db
	[ "$rc" -eq 0 ] || fail "the Flask client failed"
	while read -r line; do info "flask: $line"; done <"$T/.out"
	x user list; expect_ok
}

# A model with UNIQUE and composite PRIMARY KEY constraints (whose indexes
# SQLite makes itself) loads, migrates and then matches.
t_model_constraint_indexes() {
	cat >"$T/m.sql" <<'SQL'
CREATE TABLE p (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE tag (name TEXT NOT NULL UNIQUE, note TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, pa INTEGER, pb TEXT,
	FOREIGN KEY (pa, pb) REFERENCES p (a, b) ON UPDATE CASCADE);
SQL
	x db init; expect_ok
	x --model "$T/m.sql" db model; expect_ok
	expect_out '^	UNIQUE \(name\)$'
	expect_out '^	PRIMARY KEY \(a, b\)$'
	x --model "$T/m.sql" db migrate -m keys; expect_ok
	x --model "$T/m.sql" db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name <> 'exodb_revisions' ORDER BY name)")" = \
	    "sqlite_autoindex_p_1 sqlite_autoindex_tag_1" ] || fail "indexes: $(q instance/dev.db "SELECT name FROM sqlite_schema")"
	x --model "$T/m.sql" db check; expect_ok
	x --model "$T/m.sql" db migrate -m again; expect_ok; expect_err '^no changes in schema detected$'
	# The model as printed: the foreign key whole, then triggers, then views.
	{ cat "$T/m.sql"; echo "CREATE TRIGGER tr AFTER INSERT ON c BEGIN SELECT 1; END;"
	  echo "CREATE VIEW v AS SELECT id FROM c;"; } >"$T/m2.sql"
	x --model "$T/m2.sql" db model; expect_ok
	expect_out '^	FOREIGN KEY \(pa, pb\) REFERENCES p \(a, b\) ON UPDATE CASCADE$'
	[ "$(out | tail -n 2)" = "CREATE TRIGGER tr AFTER INSERT ON c BEGIN SELECT 1; END;
CREATE VIEW v AS SELECT id FROM c;" ] || fail "db model ends: $(out | tail -n 2)"
}

run_tests
