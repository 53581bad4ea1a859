#!/bin/bash
# exodb on PostgreSQL: db repair, db baseline and db edit on a real server
# (tests/pg.sh), with the checks, messages and exit statuses they have on
# SQLite, and nothing changed when they fail.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/pg.sh
. "$(dirname "$0")/pg.sh"

# pg_other NAME: a second database for this test, which p then uses.
pg_other() {
	"$PG_BIN/psql" -X -q -h "$PG_DIR" -U exodb -d postgres \
	    -c "CREATE DATABASE \"$1\"" >/dev/null 2>&1 ||
	    fail "cannot create the database $1"
	PGNAME=$1
	DB="postgresql:///$1?host=$PG_DIR&user=exodb"
}

# history: the server's history rows, "id checksum" a line.
history() {
	pq "SELECT id || ' ' || checksum FROM exodb_revisions ORDER BY id"
}

chain() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);" "DROP TABLE b;"
	pgrev 20260101000003 20260101000002 "CREATE TABLE c (x int);" "DROP TABLE c;"
	p db upgrade
	expect_ok
}

t_repair_accepts_edits() {
	chain
	p db repair
	expect_ok
	expect_err '^nothing to repair: every applied revision matches its file$'
	echo "-- a change" >>migrations/versions/20260101000002_rev.sql
	local before
	before=$(history)
	bad 1 "^exodb: db upgrade: migrations/versions/20260101000002_rev.sql: changed since it was applied .*exodb db repair" -D "$DB" db upgrade
	p db repair
	expect_ok
	expect_err '^accepted the edit of migrations/versions/20260101000002_rev.sql \(checksum was [0-9a-f]{12}\)$'
	[ "$(err | wc -l)" = 1 ] || fail "more than one row repaired"
	[ "$(pq "SELECT checksum FROM exodb_revisions WHERE id = '20260101000002'")" = \
	    "$(sha256sum migrations/versions/20260101000002_rev.sql | cut -d ' ' -f 1)" ] ||
	    fail "checksum not updated"
	[ "$(history | grep -v 20260101000002)" = "$(echo "$before" | grep -v 20260101000002)" ] ||
	    fail "other rows changed"
	p db repair
	expect_ok
	expect_err 'nothing to repair'
	p db upgrade
	expect_ok
	expect_err '^database is at head \(20260101000003\); nothing to apply$'
}

t_repair_forget_missing() {
	chain
	rm migrations/versions/20260101000003_rev.sql
	local before
	before=$(history)
	bad 1 '^exodb: db repair: migrations/versions/20260101000003_\*.sql: revision 20260101000003 is applied but its file is missing; restore it, or forget it with --forget-missing$' -D "$DB" db repair
	[ "$(history)" = "$before" ] || fail "the history changed"
	# An edit beside the missing file is not accepted either.
	echo "-- a change" >>migrations/versions/20260101000001_rev.sql
	bad 1 'forget it with --forget-missing$' -D "$DB" db repair
	[ "$(history)" = "$before" ] || fail "the history changed"
	p db repair --forget-missing
	expect_ok
	expect_err '^forgot revision 20260101000003, whose file is gone \(it stays in the database.s schema\)$'
	expect_err '^accepted the edit of migrations/versions/20260101000001_rev.sql'
	[ "$(pq "SELECT string_agg(id, ' ' ORDER BY id) FROM exodb_revisions")" = \
	    "20260101000001 20260101000002" ] || fail "history: $(history)"
	# The table c stays, which the chain no longer builds: drift.
	p db status
	expect_ok
	expect_out '^drift:     table c: in the database, not in the chain$'
	# db check diffs the model with the chain's SQLite replay, which a
	# revision for PostgreSQL alone does not have: it cannot tell.
	p db check
	expect_status 3
	expect_one_error "^exodb: db check: the migration chain does not replay on an empty database: migrations/versions/20260101000001_rev.sql: has no upgrade section for SQLite \('-- \+upgrade'\); write one for this database\$"
}

t_repair_errors() {
	chain
	bad 2 "^exodb: db repair: unknown option '--nope'; see 'exodb db repair --help'\$" -D "$DB" db repair --nope
	bad 2 "^exodb: db repair: " -D "$DB" db repair extra
	snapshot
	x -D "postgresql:///nosuchdb?host=$PG_DIR&user=exodb" db repair
	expect_status 1
	expect_one_error "^exodb: db repair: postgresql:///nosuchdb.*: cannot connect: .*database \"nosuchdb\" does not exist"
	expect_unchanged
	# Waiting for another exodb's lock gives up after --timeout.
	echo "-- a change" >>migrations/versions/20260101000002_rev.sql
	local before
	before=$(history)
	lock_hold
	snapshot
	p --timeout 0.2 db repair
	expect_status 1
	expect_one_error "^exodb: db repair: .*database is locked"
	expect_unchanged
	lock_release
	[ "$(history)" = "$before" ] || fail "the history changed"
}

# lock_hold: another session holds exodb's advisory lock until lock_release.
lock_hold() {
	mkfifo "$T/hold"
	"$PG_BIN/psql" -X -q -h "$PG_DIR" -U exodb -d "$PGNAME" <"$T/hold" \
	    >/dev/null 2>&1 &
	exec 5>"$T/hold"
	echo "SELECT pg_advisory_lock(435711205474);" >&5
	for _ in $(seq 1 $((500 * SLOW))); do
		[ "$(pq "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && return
	done
	fail "the lock was never taken"
}

lock_release() {
	exec 5>&-
	wait
	rm -f "$T/hold"
}

t_baseline_added_column() {
	pg_seed
	pq "ALTER TABLE users ADD COLUMN bio text; CREATE INDEX ix_users_role ON users (role)"
	p db baseline -m keep
	expect_ok
	local f id
	f=$(out)
	id=$(basename "$f" | cut -c 1-14)
	expect_err '^recording add column users\.bio$'
	expect_err '^recording create index ix_users_role on users$'
	expect_err "^recorded $id as applied to postgresql:///$PGNAME.*; nothing was run there\$"
	grep -q '^-- +upgrade postgresql$' "$f" || fail "no PostgreSQL upgrade: $(cat "$f")"
	grep -q '^ALTER TABLE users ADD COLUMN bio text;$' "$f" || fail "upgrade: $(cat "$f")"
	grep -q '^CREATE INDEX ix_users_role ON users' "$f" || fail "upgrade: $(cat "$f")"
	grep -q '^ALTER TABLE users DROP COLUMN bio;$' "$f" || fail "downgrade: $(cat "$f")"
	grep -q '^DROP INDEX ix_users_role;$' "$f" || fail "downgrade: $(cat "$f")"
	# SQLite's sections, from the same operations: text is a SQLite type.
	grep -q '^-- +upgrade$' "$f" || fail "no SQLite upgrade: $(cat "$f")"
	[ "$(pq "SELECT checksum FROM exodb_revisions WHERE id = '$id'")" = \
	    "$(sha256sum "$f" | cut -d ' ' -f 1)" ] || fail "not recorded with the file's checksum"
	# The chain now builds what the database holds, on both.
	p db check
	expect_status 1
	expect_out '^needed .*drop column users\.bio$'
	! out | grep -q '^drift' || fail "drift: $(out)"
	p db baseline -m again
	expect_ok
	expect_err '^nothing to record: postgresql:///.* holds what the migration chain builds$'
	[ "$(ls migrations/versions | wc -l)" = 2 ] || fail "a file was written"
	x -D fresh.db db upgrade
	expect_ok
	[ "$(q fresh.db "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'bio'")" = 1 ] ||
	    fail "SQLite's section did not add the column"
	# A fresh server database from the chain holds the same.
	pg_other "${PGNAME}_fresh"
	p db upgrade
	expect_ok
	p db check
	expect_status 1
	! out | grep -q '^drift' || fail "drift on a fresh database: $(out)"
	[ "$(pq "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_users_role'")" = 1 ] ||
	    fail "the fresh database lacks the index"
}

# What SQLite cannot run (a server's cast in a default) leaves the SQLite
# sections out, saying so; the PostgreSQL ones are written and recorded.
t_baseline_postgresql_only() {
	pg_seed
	pq "CREATE TABLE notes (n numeric DEFAULT (1 + 2)::numeric)"
	p db baseline -m note
	expect_ok
	expect_err '^no SQLite sections: .*; write them by hand \(-- \+upgrade, -- \+downgrade\) to run it on SQLite$'
	local f
	f=$(out)
	grep -q '^-- +upgrade postgresql$' "$f" || fail "no PostgreSQL upgrade: $(cat "$f")"
	grep -q "^	n numeric DEFAULT (((1 + 2))::numeric)\$" "$f" ||
	    fail "upgrade: $(cat "$f")"
	! grep -q '^-- +upgrade$' "$f" || fail "a SQLite section: $(cat "$f")"
	expect_err '^no SQLite sections: they fail on the chain replayed on SQLite: unrecognized token: ":"; write them by hand'
	# SQLite then stops before anything runs, naming the file.
	x -D fresh.db db upgrade
	expect_status 1
	expect_one_error "has no upgrade section for SQLite"
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 2 ] || fail "not recorded"
}

# A database the app made (as SQLAlchemy's create_all would), adopted by a
# new repository: the revision makes its whole schema, for both databases
# (a string default loses its cast on SQLite), and nothing has drifted.
t_baseline_adopts() {
	pg_db
	pq "CREATE TABLE users (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, username varchar(64) NOT NULL, role varchar(20) NOT NULL DEFAULT 'user', is_approved boolean NOT NULL DEFAULT false); CREATE UNIQUE INDEX ix_users_username ON users (username); CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('abc')"
	x db init
	p db baseline -m adopt
	expect_ok
	local f
	f=$(out)
	expect_err '^recording create table users$'
	! grep -q 'alembic_version' "$f" || fail "alembic_version adopted: $(cat "$f")"
	grep -q '^	id integer NOT NULL GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,$' "$f" ||
	    fail "PostgreSQL upgrade: $(cat "$f")"
	grep -q "^	role character varying(20) NOT NULL DEFAULT 'user',\$" "$f" ||
	    fail "SQLite upgrade: $(cat "$f")"
	p db status
	expect_ok
	expect_out '^drift:     none$'
	p db check
	expect_status 1
	expect_out '^needed '
	! out | grep -q '^drift' || fail "drift: $(out)"
	# Both databases built from the chain take the app's rows.
	x -D fresh.db db upgrade
	expect_ok
	q fresh.db "INSERT INTO users (username) VALUES ('a')" || fail "SQLite insert"
	[ "$(q fresh.db "SELECT id || role || is_approved FROM users")" = 1user0 ] ||
	    fail "SQLite: $(q fresh.db "SELECT * FROM users")"
	pg_other "${PGNAME}_fresh"
	p db upgrade
	expect_ok
	pq "INSERT INTO users (username) VALUES ('a')" >/dev/null || fail "PostgreSQL insert"
	[ "$(pq "SELECT id || role || is_approved FROM users")" = 1userfalse ] ||
	    fail "PostgreSQL: $(pq "SELECT * FROM users")"
}

t_baseline_errors() {
	pg_seed
	local before
	before=$(history)
	bad 2 "^exodb: db baseline: option '-m' is required\$" -D "$DB" db baseline
	bad 2 "^exodb: db baseline: option '-m' must not be blank\$" -D "$DB" db baseline -m " "
	# A trigger or a view is not recorded on PostgreSQL.
	pq "CREATE VIEW v AS SELECT id FROM users"
	bad 1 "^exodb: db baseline: no revision written: view v: in the database, not in the chain; a baseline on PostgreSQL records tables, columns, indexes and constraints, not triggers or views" -D "$DB" db baseline -m view
	pq "DROP VIEW v"
	# What needs SQLite's rebuild of a table with the defaults trigger has
	# no PostgreSQL form here.
	pq "ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now()"
	bad 1 "^exodb: db baseline: no revision written: it has no PostgreSQL form: table users has triggers" -D "$DB" db baseline -m seen
	pq "ALTER TABLE users DROP COLUMN seen"
	# A CHECK whose text the server writes back otherwise than it reads it
	# (an IN list over varchar) cannot be proven: the chain would not
	# build what the database holds.
	pq "CREATE TABLE tags (name varchar(10) CHECK (name IN ('a', 'b')))"
	bad 1 "^exodb: db baseline: no revision written: after its PostgreSQL upgrade on the chain's schema, yet it still differs: " -D "$DB" db baseline -m check
	pq "DROP TABLE tags"
	# Not at head.
	pgrev 29990101000000 "$(ls migrations/versions | cut -c 1-14)" "CREATE TABLE later (x int);" "DROP TABLE later;"
	pq "ALTER TABLE users ADD COLUMN bio text"
	bad 1 "^exodb: db baseline: postgresql:///$PGNAME.*: database is not up to date; run 'exodb db upgrade'\$" -D "$DB" db baseline -m x
	rm migrations/versions/29990101000000_rev.sql
	# A chain that does not replay on the server.
	pgrev 29990101000000 "$(ls migrations/versions | cut -c 1-14)" "CREATE TABLE later (x nosuchtype);" "DROP TABLE later;"
	pq "INSERT INTO exodb_revisions VALUES ('29990101000000', '$(sha256sum migrations/versions/29990101000000_rev.sql | cut -d ' ' -f 1)', 'x')"
	bad 1 "^exodb: db baseline: no revision written: the migration chain does not replay on the server: .*type \"nosuchtype\" does not exist" -D "$DB" db baseline -m x
	pq "DELETE FROM exodb_revisions WHERE id = '29990101000000'"
	rm migrations/versions/29990101000000_rev.sql
	[ "$(history)" = "$before" ] || fail "the history changed"
	# Waiting for another exodb's lock gives up after --timeout; nothing
	# is written or recorded.
	lock_hold
	snapshot
	p --timeout 0.2 db baseline -m bio
	expect_status 1
	expect_one_error "^exodb: db baseline: .*database is locked"
	expect_unchanged
	lock_release
	[ "$(history)" = "$before" ] || fail "the history changed"
	[ "$(pq "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'exodb_chain_%'")" = 0 ] ||
	    fail "a scratch schema is left"
	p db baseline -m bio
	expect_ok
}

t_edit() {
	chain
	cat >"$T/ed" <<'ED'
#!/bin/sh
echo "-- edited" >>"$1"
ED
	chmod +x "$T/ed"
	VISUAL="$T/ed" run "$EXODB" -D "$DB" db edit 20260101000003
	expect_ok
	expect_err "^warning: 20260101000003 is applied: editing it does not change the database, and 'exodb db repair' must accept the edit\$"
	grep -q '^-- edited$' migrations/versions/20260101000003_rev.sql || fail "not edited"
	# A pending revision edits without a warning.
	pgrev 20260101000004 20260101000003 "CREATE TABLE d (x int);" "DROP TABLE d;"
	VISUAL="$T/ed" run "$EXODB" -D "$DB" db edit
	expect_ok
	[ ! -s "$T/.err" ] || fail "a warning: $(err)"
	# An editor that changes nothing: no warning either.
	VISUAL=true run "$EXODB" -D "$DB" db edit 20260101000001
	expect_ok
	[ ! -s "$T/.err" ] || fail "a warning: $(err)"
	snapshot
	VISUAL=false run "$EXODB" -D "$DB" db edit 20260101000001
	expect_status 1
	expect_one_error "^exodb: db edit: editor 'false' failed \(exit status 1\)\$"
	expect_unchanged
	bad 1 "^exodb: db edit: 'nosuch': not a revision id or 'head'\$" -D "$DB" db edit nosuch
	x -D "postgresql:///nosuchdb?host=$PG_DIR&user=exodb" db edit
	expect_status 1
	expect_one_error "^exodb: db edit: postgresql:///nosuchdb.*: cannot connect: "
}

run_tests
