#!/bin/bash
# exodb on PostgreSQL: db upgrade, downgrade, current, history, stamp and
# status, a kill during a revision and a libpq that cannot load, on a real
# server, a throwaway cluster of this script's own
# (tests/pg.sh), each test on a database of its own.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/pg.sh
. "$(dirname "$0")/pg.sh"

# The seed flow: db migrate writes the revision (both dialects) from the
# SQLite database; the same file upgrades the PostgreSQL one.
t_seed_flow() {
	pg_db
	seed
	p db upgrade
	expect_ok
	expect_err "^applied [0-9]{14} Initial user model$"
	[ "$(pq "SELECT count(*) FROM users")" = 0 ] || fail "no users table"
	[ "$(pq "SELECT checksum FROM exodb_revisions")" = \
	    "$(q instance/dev.db "SELECT checksum FROM exodb_revisions")" ] ||
	    fail "not the same revision on both"
	p db current
	expect_ok
	expect_out '^[0-9]{14} \(head\)$'
	p db upgrade
	expect_ok
	expect_err "database is at head \([0-9]{14}\); nothing to apply"
	p db status
	expect_ok
	expect_out '^revisions: 1 \(1 applied, 0 pending\)$'
	expect_out '^drift:     none$'
	p db downgrade base --yes
	expect_ok
	[ "$(pq "SELECT to_regclass('users') IS NULL")" = t ] ||
	    fail "users left after downgrade"
}

# The committed migrations/ (both dialects' sections): the same history,
# file for file, as on SQLite; the app's explicit NULL takes the default.
t_seed_committed_migrations() {
	pg_db
	cp -R "$TOP/migrations" .
	p db upgrade
	expect_ok
	expect_err "^applied 20261125052643 Initial user model$"
	expect_err "^applied 20261201205726 "
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 2 ] ||
	    fail "not two history rows"
	p db current
	expect_ok
	expect_out '^20261201205726 \(head\)$'
	x db upgrade
	expect_ok
	[ "$(pq "SELECT string_agg(id || ' ' || checksum, ',' ORDER BY id) FROM exodb_revisions")" = \
	    "$(q instance/dev.db "SELECT group_concat(id || ' ' || checksum, ',') FROM (SELECT * FROM exodb_revisions ORDER BY id)")" ] ||
	    fail "not the same revisions on both"
	pq "INSERT INTO users (username, email, password_hash, role, is_approved) VALUES ('Ann', 'ann@example.org', 'x', NULL, NULL)" >/dev/null ||
	    fail "an explicit NULL is refused"
	[ "$(pq "SELECT role, is_approved FROM users WHERE username = 'ann'")" = "user|f" ] ||
	    fail "role and is_approved: $(pq "SELECT role, is_approved FROM users")"
	p db downgrade base --yes
	expect_ok
	[ "$(pq "SELECT to_regclass('users') IS NULL")" = t ] ||
	    fail "users left after downgrade base"
}

t_graph_commands() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);" \
	    "DROP TABLE b;"
	pgrev 20260101000003 20260101000002 "ALTER TABLE b ADD COLUMN y text;" \
	    "ALTER TABLE b DROP COLUMN y;"
	p db current
	expect_ok
	expect_err "no revisions applied"
	p db upgrade 20260101000002
	expect_ok
	p db current
	expect_out '^20260101000002$'
	p db history
	expect_ok
	expect_out '^20260101000002 -> 20260101000003 \(head\), rev 20260101000003 \[pending\]$'
	expect_out '^20260101000001 -> 20260101000002, rev 20260101000002 \[applied\]$'
	p db status
	expect_ok
	expect_out '^revisions: 3 \(2 applied, 1 pending\)$'
	expect_out "^database:  postgresql:///t_graph_commands\\?host="
	p db upgrade
	expect_ok
	[ "$(pq "SELECT count(*) FROM information_schema.columns WHERE table_name = 'b'")" = 2 ] ||
	    fail "column y not added"
	p db status --json
	expect_ok
	expect_out '"drift":\[\]'
	# Downgrades: without a terminal, the DROP statements need --yes; the
	# backup needs pg_dump.
	snapshot
	PATH=/nowhere run "$EXODB" -D "$DB" db downgrade --yes
	expect_status 1
	expect_one_error "db downgrade: pg_dump is not installed; a downgrade backs the database up with it first: install it \(Debian: postgresql-client\), or give --no-backup$"
	p db downgrade
	expect_status 1
	expect_one_error "would drop the tables and columns a DROP statement removes, with their rows \(migrations/versions/20260101000003_rev.sql:11\)"
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 3 ] ||
	    fail "a refused downgrade changed the history"
	expect_unchanged
	pq "INSERT INTO b VALUES (1, 'kept')" >/dev/null
	p db downgrade --yes
	expect_ok
	expect_err "reverted 20260101000003"
	backup=$(out)
	case $backup in
	"$T"/instance/t_graph_commands.[0-9]*.dump) ;;
	*) fail "backup at '$backup'" ;;
	esac
	[ "$(stat -c %a "$T/instance")" = 700 ] || fail "instance/ not 0700"
	[ "$(stat -c %a "$backup")" = 600 ] || fail "backup not 0600"
	expect_err "to restore it: pg_restore --clean --if-exists --single-transaction -d 'postgresql:///t_graph_commands\?host=.*' $T/instance/t_graph_commands\..*\.dump$"
	[ "$(pq "SELECT count(*) FROM information_schema.columns WHERE table_name = 'b'")" = 1 ] ||
	    fail "column y not dropped"
	# What the note says puts the column and its value back.
	"$PG_BIN/pg_restore" --clean --if-exists --single-transaction \
	    -d "$DB" "$backup" || fail "pg_restore failed"
	[ "$(pq "SELECT y FROM b")" = kept ] || fail "the backup lacks the row"
	p db current
	expect_out '^20260101000003 \(head\)$'
	p db downgrade --no-backup --yes
	expect_ok
	expect_err "reverted 20260101000003"
	p db current
	expect_out '^20260101000002$'
	p db downgrade base --no-backup --yes
	expect_ok
	[ "$(pq "SELECT count(*) FROM pg_tables WHERE tablename IN ('a', 'b')")" = 0 ] ||
	    fail "tables left after downgrade base"
	# stamp records without running.
	p db stamp head
	expect_ok
	expect_err "stamped head: 3 revisions recorded as applied, 0 removed"
	[ "$(pq "SELECT count(*) FROM pg_tables WHERE tablename = 'a'")" = 0 ] ||
	    fail "stamp ran a revision"
	p db stamp 20260101000001
	expect_ok
	expect_err "1 revision recorded as applied|0 revisions recorded as applied, 2 removed"
	[ "$(pq "SELECT id FROM exodb_revisions")" = 20260101000001 ] ||
	    fail "stamp left the wrong rows"
	p db stamp base
	expect_ok
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 0 ] ||
	    fail "stamp base left rows"
}

# N exodb upgrades at once: each revision is applied once (a second run of
# one would add a second row to log, or fail on its CREATE TABLE).
concurrent() {
	local n=$1 i pids=() parent=none id
	pg_db
	x db init
	pgrev 20260101000000 none "CREATE TABLE log (id text);" "DROP TABLE log;"
	parent=20260101000000
	for i in $(seq 1 20); do
		id=$(printf '202601010001%02d' "$i")
		pgrev "$id" "$parent" "CREATE TABLE t$i (a int);
INSERT INTO log VALUES ('$id');" "DROP TABLE t$i;"
		parent=$id
	done
	for i in $(seq 1 "$n"); do
		"$EXODB" -D "$DB" db upgrade >"$T/out.$i" 2>"$T/err.$i" &
		pids+=($!)
	done
	for i in $(seq 1 "$n"); do
		wait "${pids[$((i - 1))]}" || { cat "$T/err.$i"; fail "run $i failed"; }
	done
	[ "$(pq "SELECT count(*) FROM log")" = 20 ] || fail "log: $(pq "SELECT count(*) FROM log") rows"
	[ "$(pq "SELECT count(DISTINCT id) FROM log")" = 20 ] || fail "a revision ran twice"
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 21 ] || fail "history rows"
	[ "$(cat "$T"/err.* | grep -c '^applied ')" = 21 ] ||
	    fail "the runs report $(cat "$T"/err.* | grep -c '^applied ') revisions applied"
}

t_concurrent_2() {
	concurrent 2
}

t_concurrent_8() {
	concurrent 8
}

# A SIGKILL while a revision's statement runs on the server: the server
# rolls that revision back (no table, no history row), the one before stays
# applied, and the next db upgrade finishes the job. The killed run's
# statement waits until it is killed (its application_name says which run it
# is), and the server looks for a lost client every 50 ms
# (client_connection_check_interval) rather than when the statement ends.
t_kill_during_revision() {
	local pid i
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE big (n int);
INSERT INTO big SELECT generate_series(1, 100000);
SELECT pg_sleep(CASE current_setting('application_name')
    WHEN 'exodb-killed' THEN 600 ELSE 0 END);" "DROP TABLE big;"
	PGAPPNAME=exodb-killed PGOPTIONS="-c client_connection_check_interval=50" \
	    "$EXODB" -D "$DB" db upgrade >"$T/.out" 2>"$T/.err" </dev/null &
	pid=$!
	for i in $(seq 1 $((1000 * SLOW))); do
		[ "$(pq "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'exodb-killed' AND state = 'active' AND query LIKE 'SELECT pg_sleep%'")" = 1 ] && break
		kill -0 "$pid" 2>/dev/null || fail "exodb ended before the statement ran: $(err)"
		[ "$i" -lt $((1000 * SLOW)) ] || fail "the statement never ran"
	done
	kill -KILL "$pid"
	wait "$pid"
	[ $? -eq 137 ] || fail "exodb was not killed"
	# The server ends the killed run's session, rolling its transaction back.
	for i in $(seq 1 $((1000 * SLOW))); do
		[ "$(pq "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'exodb-killed'")" = 0 ] && break
		[ "$i" -lt $((1000 * SLOW)) ] || fail "the killed run's session stays"
	done
	[ "$(pq "SELECT to_regclass('big') IS NULL")" = t ] || fail "the killed revision's table is left"
	[ "$(pq "SELECT string_agg(id, ' ') FROM exodb_revisions")" = 20260101000001 ] ||
	    fail "history: $(pq "SELECT string_agg(id, ' ') FROM exodb_revisions")"
	[ "$(pq "SELECT to_regclass('a') IS NOT NULL")" = t ] || fail "the revision before is undone"
	p db upgrade
	expect_ok
	expect_err '^applied 20260101000002 rev 20260101000002$'
	[ "$(pq "SELECT count(*) FROM big")" = 100000 ] || fail "big: $(pq "SELECT count(*) FROM big") rows"
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 2 ] || fail "history rows"
}

# Where libpq cannot load (here a libpq.so.5 found first that is no
# library), a command on PostgreSQL fails with one line saying so, exit
# status 1, or 3 for a question; a command on SQLite never loads it, and
# works.
t_libpq_missing() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	mkdir lib
	echo "not a library" >lib/libpq.so.5
	snapshot
	LD_LIBRARY_PATH=$T/lib run "$EXODB" -D "$DB" db upgrade
	expect_status 1
	expect_one_error "^exodb: db upgrade: cannot load libpq \(libpq\.so\.5\): $T/lib/libpq\.so\.5: file too short; scripts/install-deps installs it\$"
	LD_LIBRARY_PATH=$T/lib run "$EXODB" -D "$DB" db check
	expect_status 3
	expect_one_error "^exodb: db check: cannot load libpq"
	LD_LIBRARY_PATH=$T/lib run "$EXODB" -D "$DB" user list
	expect_status 1
	expect_one_error "^exodb: user list: cannot load libpq"
	expect_unchanged
	[ "$(pq "SELECT to_regclass('exodb_revisions') IS NULL")" = t ] ||
	    fail "the server's database changed"
	# SQLite: the same commands, where libpq would fail to load.
	rm migrations/versions/*
	x db migrate -m "Initial user model"
	expect_ok
	LD_LIBRARY_PATH=$T/lib run "$EXODB" db upgrade
	expect_ok
	LD_LIBRARY_PATH=$T/lib run "$EXODB" db check
	expect_ok
	LD_LIBRARY_PATH=$T/lib run "$EXODB" user list
	expect_ok
	# And it is not among what a SQLite command maps (LD_DEBUG lists
	# every library the loader opens).
	LD_DEBUG=libs run "$EXODB" db status
	expect_ok
	grep -q 'calling init: .*libsqlite3' "$T/.err" || fail "LD_DEBUG shows no libraries: $(head -c 300 "$T/.err")"
	! grep -q 'libpq' "$T/.err" || fail "libpq is loaded: $(grep libpq "$T/.err" | head -n 3)"
	LD_DEBUG=libs run "$EXODB" -D "$DB" db current
	expect_ok
	grep -q 'calling init: .*libpq\.so\.5' "$T/.err" || fail "LD_DEBUG does not show libpq loaded on PostgreSQL"
}

t_failing_statement_line() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int NOT NULL);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);

INSERT INTO b
    SELECT x FROM nope;" "DROP TABLE b;"
	p -q db upgrade
	expect_status 1
	expect_one_error "db upgrade: migrations/versions/20260101000002_rev.sql:11: relation \"nope\" does not exist$"
	[ "$(pq "SELECT count(*) FROM pg_tables WHERE tablename = 'b'")" = 0 ] ||
	    fail "the failed revision's table is left"
	[ "$(pq "SELECT id FROM exodb_revisions")" = 20260101000001 ] ||
	    fail "history"
	# An error with no position: the line the statement starts on.
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);
INSERT INTO a
    VALUES (NULL);" "DROP TABLE b;"
	p db upgrade
	expect_status 1
	expect_one_error "20260101000002_rev.sql:9: null value in column \"x\" of relation \"a\" violates not-null constraint$"
	# A syntax error, a string with a ';' and a dollar quote before it.
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x text DEFAULT 'a;b');
DO \$\$ BEGIN PERFORM 1; END \$\$;
SELEC 1;" "DROP TABLE b;"
	p db upgrade
	expect_status 1
	expect_one_error "20260101000002_rev.sql:10: syntax error at or near \"SELEC\"$"
}

t_transaction_refused() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);
commit;" "DROP TABLE b;"
	p db upgrade
	expect_status 1
	expect_one_error "migrations/versions/20260101000002_rev.sql:9: COMMIT: a revision must not manage transactions"
	[ "$(pq "SELECT to_regclass('exodb_revisions') IS NULL AND to_regclass('a') IS NULL")" = t ] ||
	    fail "something ran before the refusal"
	for stmt in "BEGIN" "END" "ROLLBACK" "START TRANSACTION" "SAVEPOINT s" \
	    "release s" "ABORT" "PREPARE TRANSACTION 'x'"; do
		pgrev 20260101000002 20260101000001 "$stmt;" "DROP TABLE b;"
		p db upgrade
		expect_status 1
		expect_one_error "20260101000002_rev.sql:8: [A-Z ]+: a revision must not manage transactions"
	done
	# Not the words inside a string or a comment.
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x text DEFAULT 'COMMIT');
/* COMMIT; */ -- COMMIT
COMMENT ON TABLE b IS 'BEGIN';" "DROP TABLE b;"
	p db upgrade
	expect_ok
	# No PostgreSQL section: refused, naming the file.
	rev 20260101000003 20260101000002 "CREATE TABLE c (x);" "DROP TABLE c;"
	p db upgrade
	expect_status 1
	expect_one_error "20260101000003_hand.sql: has no upgrade section for PostgreSQL"
}

t_password_never_printed() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	# In the command line, where ps shows it to everyone: refused.
	snapshot
	x -D "postgresql://exodb:s3cret@/$PGNAME?host=$PG_DIR" db upgrade
	expect_status 2
	expect_one_error "usage: postgresql://exodb@/$PGNAME\\?host=.*: a password in the command line is visible"
	! grep -q s3cret "$T/.err" || fail "the password is shown"
	x -D "postgresql:///$PGNAME?host=$PG_DIR&password=s3cret&user=exodb" db current
	expect_status 2
	! grep -q s3cret "$T/.err" || fail "the password is shown"
	expect_unchanged
	# From the environment it is used (trust takes any), never shown.
	EXODB_DATABASE="postgresql://exodb:s3cret@/$PGNAME?host=$PG_DIR" \
	    run "$EXODB" -v db upgrade
	expect_ok
	! grep -q s3cret "$T/.err" "$T/.out" || fail "the password is shown"
	expect_err "database postgresql://exodb@/$PGNAME\\?host="
	EXODB_DATABASE="postgresql://exodb:s3cret@/nosuchdb?host=$PG_DIR" \
	    run "$EXODB" db status
	expect_status 1
	expect_one_error "postgresql://exodb@/nosuchdb\\?host=.*: cannot connect: .*database \"nosuchdb\" does not exist"
	! grep -q s3cret "$T/.err" || fail "the password is shown"
	# libpq's message about a bad percent-escape quotes the password.
	EXODB_DATABASE="postgresql://exodb:s3%zzcret@/$PGNAME?host=$PG_DIR" \
	    run "$EXODB" db current
	expect_status 2
	expect_one_error "usage: postgresql://exodb@/$PGNAME.*: not a PostgreSQL URI: "
	! grep -q 's3%zzcret' "$T/.err" || fail "the password is shown"
}

t_bad_uris() {
	pg_db
	x db init
	snapshot
	x -D "postgresql:///$PGNAME?host=$PG_DIR&nosuch=1" db current
	expect_status 2
	expect_one_error "usage: postgresql:///$PGNAME.*: not a PostgreSQL URI: invalid URI query parameter: \"nosuch\""
	x -D "postgres:///nosuchdb?host=$PG_DIR&user=exodb" db current
	expect_status 1
	expect_one_error "db current: postgres:///nosuchdb.*: cannot connect: .*database \"nosuchdb\" does not exist"
	x -D "postgresql:///$PGNAME?host=$T/nowhere" db history
	expect_status 1
	expect_one_error "cannot connect: connection to server on socket \"$T/nowhere/.s.PGSQL.5432\" failed: No such file or directory"
	x -D "postgresql://exodb@:notaport/$PGNAME?host=$PG_DIR" db history
	expect_status 1
	expect_one_error "cannot connect: invalid integer value \"notaport\""
	expect_unchanged
	# Only those two schemes are URIs: anything else is a SQLite path.
	x -D "postgresqlx://a/b" db current
	expect_status 1
	expect_one_error "postgresqlx://a/b: "
}

t_sql_script() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x text DEFAULT 'it''s');" \
	    "DROP TABLE b;"
	p db upgrade --sql
	expect_ok
	expect_out '^\\set ON_ERROR_STOP on$'
	expect_out "^SELECT pg_advisory_xact_lock"
	[ "$(pq "SELECT to_regclass('exodb_revisions') IS NULL")" = t ] ||
	    fail "--sql changed the database"
	"$PG_BIN/psql" -X -q -h "$PG_DIR" -U exodb -d "$PGNAME" -f "$T/.out" \
	    >/dev/null 2>&1 || fail "psql could not run the script"
	p db current
	expect_ok
	expect_out '^20260101000002 \(head\)$'
	p db downgrade base --sql
	expect_ok
	expect_out "^DELETE FROM exodb_revisions WHERE id = '20260101000001';$"
}

# --single-transaction: a failure in the last revision undoes the first;
# -v shows each statement at its line.
t_single_transaction() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);
SELECT * FROM nope;" "DROP TABLE b;"
	p -q db upgrade --single-transaction
	expect_status 1
	expect_one_error "20260101000002_rev.sql:9: relation \"nope\" does not exist$"
	[ "$(pq "SELECT to_regclass('a') IS NULL AND to_regclass('exodb_revisions') IS NULL")" = t ] ||
	    fail "the first revision stayed"
	pgrev 20260101000002 20260101000001 "CREATE TABLE b (x int);
CREATE INDEX ON b
    (x);" "DROP TABLE b;"
	p -v db upgrade --single-transaction
	expect_ok
	expect_err "^migrations/versions/20260101000002_rev.sql:9: CREATE INDEX ON b \.\.\.$"
	expect_err "^applied 20260101000002 rev 20260101000002$"
	[ "$(pq "SELECT count(*) FROM exodb_revisions")" = 2 ] || fail "history rows"
}

t_lock_timeout() {
	pg_db
	x db init
	pgrev 20260101000001 none "CREATE TABLE a (x int);" "DROP TABLE a;"
	# Another session holds the lock until its input ends.
	mkfifo "$T/hold"
	"$PG_BIN/psql" -X -q -h "$PG_DIR" -U exodb -d "$PGNAME" <"$T/hold" \
	    >/dev/null 2>&1 &
	exec 5>"$T/hold"
	echo "SELECT pg_advisory_lock(435711205474);" >&5
	local i
	for i in $(seq 1 $((500 * SLOW))); do
		[ "$(pq "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
		[ "$i" -lt $((500 * SLOW)) ] || fail "the lock was never taken"
	done
	p --timeout 0.2 db upgrade
	expect_status 1
	expect_one_error "db upgrade: postgresql:///$PGNAME.*: database is locked; another exodb, or the app, holds it \(gave up after 0.2 s; see --timeout\)"
	[ "$(pq "SELECT to_regclass('a') IS NULL")" = t ] || fail "it ran"
	exec 5>&-
	wait
	p db upgrade
	expect_ok
}

run_tests
