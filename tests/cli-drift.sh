# End-to-end tests of the migration chain as the "from" schema: drift between
# the live database and what the chain builds is reported and refused,
# db check answers with its exit status, and db baseline records what a
# database holds as a revision, so that every database the chain builds is
# the same.
. "$(dirname "$0")/lib.sh"

DRIFT_FIX="undo that in the database, or record it with 'exodb db baseline -m MESSAGE'"

# What a database's schema is, but for the history table and
# Flask-Migrate's: every object with its CREATE text, as SQLite keeps it.
objects() {
	q "$1" "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '-') FROM sqlite_schema WHERE tbl_name NOT IN ('exodb_revisions', 'alembic_version') ORDER BY type, name"
}

# The model with the index the README's drift example keeps.
model_with_role_index() {
	{ cat "$TOP/src/model.sql"; echo "CREATE INDEX ix_users_role ON users(role);"; } >m.sql
}

# README's drift example: an index made by hand.
t_readme_drift_scenario() {
	seed
	q instance/dev.db "CREATE INDEX ix_users_role ON users(role)"
	bad 1 "^exodb: db migrate: instance/dev.db has drifted from the migration chain \(index ix_users_role on users: in the database, not in the chain\); $DRIFT_FIX; no revision written\$" db migrate -m "Drop stray index"
	[ "$(ls migrations/versions | wc -l)" = 1 ] || fail "a revision was written"
	x db check; expect_status 1
	expect_one_error "^exodb: db check: instance/dev.db: 1 object drifted from the migration chain; $DRIFT_FIX\$"
	[ "$(out)" = "drift index ix_users_role on users: in the database, not in the chain" ] || fail "check: $(out)"
	# A fresh database from the chain is the model, without the index.
	x -D fresh.db db upgrade; expect_ok
	x -D fresh.db db check; expect_ok
	[ "$(q fresh.db "SELECT count(*) FROM sqlite_schema WHERE name = 'ix_users_role'")" = 0 ] || fail "fresh has the index"
	# Keep it: the chain records it, as the database has it.
	x db baseline -m keep; expect_ok
	f=$(out)
	grep -q '^CREATE INDEX ix_users_role ON users(role);$' "$f" || fail "upgrade: $(cat "$f")"
	grep -q '^DROP INDEX ix_users_role;$' "$f" || fail "downgrade: $(cat "$f")"
	expect_err "^recorded $(basename "$f" | cut -c 1-14) as applied to instance/dev.db; nothing was run there\$"
	[ "$(q instance/dev.db "SELECT checksum FROM exodb_revisions WHERE id = '$(basename "$f" | cut -c 1-14)'")" = \
	    "$(sha256sum "$f" | cut -d ' ' -f 1)" ] || fail "not recorded with the file's checksum"
	# The model without the index now differs from the chain: migrate goes
	# on from there; a model with it matches.
	x db check; expect_status 1
	expect_one_error "the model needs 1 operation beyond the migration chain; run 'exodb db migrate -m MESSAGE'\$"
	[ "$(out)" = "needed drop index ix_users_role on users" ] || fail "check: $(out)"
	model_with_role_index
	x --model m.sql db check; expect_ok
	expect_err '^database is at head, without drift, and matches the model$'
	x -D fresh2.db db upgrade; expect_ok
	diff <(objects fresh2.db) <(objects instance/dev.db) || fail "a fresh database differs"
	x -D fresh2.db --model m.sql db check; expect_ok
	x --model m.sql db migrate -m nothing; expect_ok; expect_err 'no changes in schema detected'
	x db migrate -m "Drop stray index"; expect_ok
	grep -q '^DROP INDEX ix_users_role;$' "$(out)" || fail "migrate does not go on"
}

# Drift the other way: what the chain builds and the database lacks.
t_drift_names_what_the_database_lacks() {
	seed
	q instance/dev.db "DROP INDEX ix_users_email; CREATE VIEW v AS SELECT id FROM users; CREATE TRIGGER tr AFTER INSERT ON users BEGIN SELECT 1; END"
	x db check; expect_status 1
	expect_out '^drift index ix_users_email on users: in the chain, not in the database$'
	expect_out '^drift view v: in the database, not in the chain$'
	expect_out '^drift trigger tr: in the database, not in the chain$'
	[ "$(out | wc -l)" = 3 ] || fail "check: $(out)"
	expect_one_error '3 objects drifted'
	bad 1 'db migrate: instance/dev.db has drifted from the migration chain \(index ix_users_email on users: in the chain, not in the database[;] view v: in the database, not in the chain[;] trigger tr: in the database, not in the chain\)' db migrate -m x
	x db baseline -m keep; expect_ok
	x -D fresh.db db upgrade; expect_ok
	x -D fresh.db db baseline -m nothing; expect_ok; expect_err 'nothing to record'
	# The trigger and the view are as the database has them.
	diff <(q fresh.db "SELECT sql FROM sqlite_schema WHERE type IN ('view', 'trigger') ORDER BY name") \
	    <(q instance/dev.db "SELECT sql FROM sqlite_schema WHERE type IN ('view', 'trigger') ORDER BY name") || fail "trigger or view"
	x db check; expect_status 1
	expect_no_out '^drift'
	# Its downgrade gives back what the chain built before it.
	x -D fresh.db db downgrade --no-backup; expect_ok
	[ "$(q fresh.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE tbl_name = 'users' OR type = 'view' ORDER BY name)")" = \
	    "ix_users_email ix_users_username users" ] || fail "downgrade: $(objects fresh.db)"
}

t_check_0_nothing_to_do() {
	seed
	snapshot
	x db check; expect_ok
	expect_err '^database is at head, without drift, and matches the model$'
	[ -z "$(out)" ] || fail "stdout: $(out)"
	expect_unchanged
}

t_check_1_pending() {
	seed
	rev 29990101000001 "$(ls migrations/versions | cut -c 1-14)" "CREATE TABLE t (x);" "DROP TABLE t;" t
	snapshot
	x db check; expect_status 1
	expect_one_error "^exodb: db check: instance/dev.db: 1 revision pending; run 'exodb db upgrade'\$"
	[ "$(out)" = "pending 29990101000001 t" ] || fail "check: $(out)"
	expect_unchanged
}

t_check_1_model_differs() {
	seed
	model_with_role_index
	snapshot
	x --model m.sql db check; expect_status 1
	expect_one_error "^exodb: db check: instance/dev.db: the model needs 1 operation beyond the migration chain; run 'exodb db migrate -m MESSAGE'\$"
	[ "$(out)" = "needed create index ix_users_role on users" ] || fail "check: $(out)"
	expect_unchanged
}

t_check_1_drift() {
	seed
	q instance/dev.db "CREATE TABLE notes (body TEXT)"
	snapshot
	x db check; expect_status 1
	expect_one_error "1 object drifted from the migration chain; $DRIFT_FIX\$"
	[ "$(out)" = "drift table notes: in the database, not in the chain" ] || fail "check: $(out)"
	expect_unchanged
}

# Pending, the model and drift at once: each named. Drift is looked for only
# at head, and the model is compared with the whole chain.
t_check_1_names_each_thing() {
	seed
	model_with_role_index
	rev 29990101000001 "$(ls migrations/versions | cut -c 1-14)" "CREATE TABLE t (x);" "DROP TABLE t;" t
	x --model m.sql db check; expect_status 1
	expect_one_error "1 revision pending; run 'exodb db upgrade'; the model needs 1 operation beyond the migration chain; run 'exodb db migrate -m MESSAGE'\$"
	expect_out '^pending 29990101000001 t$'
	expect_out '^needed create index ix_users_role on users$'
	x db upgrade; expect_ok
	q instance/dev.db "CREATE TABLE notes (body TEXT)"
	x --model m.sql db check; expect_status 1
	expect_one_error "the model needs 1 operation beyond the migration chain; run 'exodb db migrate -m MESSAGE'; 1 object drifted from the migration chain; $DRIFT_FIX\$"
	[ "$(out | wc -l)" = 2 ] || fail "check: $(out)"
}

t_check_2_usage() {
	seed
	bad 2 "^exodb: db check: too many arguments; usage: exodb db check \\[--json\\]\$" db check extra
	bad 2 "^exodb: db check: unknown option '--bogus'" db check --bogus
}

t_check_3_no_repository() {
	bad 3 '^exodb: db check: migrations: ' db check
	[ ! -e instance ] || fail "made the instance folder"
}

t_check_3_not_a_database() {
	seed
	echo "not a database, not at all, not even close to one" >instance/dev.db
	bad 3 '^exodb: db check: .*file is not a database' db check
}

t_check_3_changed_applied_file() {
	seed
	echo "-- an edit" >>migrations/versions/*.sql
	bad 3 "^exodb: db check: migrations/versions/.*: changed since it was applied .*exodb db repair" db check
}

t_check_3_chain_does_not_replay() {
	seed
	# A revision applied here that fails on an empty database.
	q instance/dev.db "CREATE TABLE legacy (x)"
	rev 29990101000001 "$(ls migrations/versions | cut -c 1-14)" "DROP TABLE legacy;" "CREATE TABLE legacy (x);" bad
	x db upgrade; expect_ok
	bad 3 '^exodb: db check: the migration chain does not replay on an empty database: migrations/versions/29990101000001_bad.sql:[0-9]+: no such table: legacy$' db check
	bad 1 '^exodb: db migrate: the migration chain does not replay on an empty database: .*no such table: legacy; no revision written$' db migrate -m x
	bad 1 '^exodb: db baseline: the migration chain does not replay on an empty database: .*no such table: legacy$' db baseline -m x
}

# The database is locked by another process for the whole busy timeout.
t_check_3_locked() {
	need sqlite3
	seed
	coproc LOCK { sqlite3 instance/dev.db; }
	echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&"${LOCK[1]}"
	read -r line <&"${LOCK[0]}"
	[ "$line" = locked ] || fail "no lock: $line"
	snapshot
	x db check
	# shellcheck disable=SC1083,SC2093 # closes the coprocess's input
	exec {LOCK[1]}>&-
	wait "$LOCK_PID"
	expect_status 3
	expect_one_error '^exodb: db check: .*database is locked'
	expect_unchanged
}

# Adoption: a database exodb did not make, with a table, an index, a
# trigger, a view and Flask-Migrate's table, and an empty chain.
t_baseline_adopts_a_hand_made_database() {
	x db init
	mkdir instance
	sqlite3 instance/dev.db <<'SQL'
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('ae1027a6acf');
CREATE TABLE planets (
    id INTEGER NOT NULL,
    name VARCHAR(80) NOT NULL,
    mass FLOAT,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE INDEX ix_planets_mass ON planets (mass DESC) WHERE mass IS NOT NULL;
CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT);
CREATE TRIGGER planets_log AFTER INSERT ON planets BEGIN INSERT INTO log (msg) VALUES (new.name); END;
CREATE VIEW heavy AS SELECT name FROM planets WHERE mass > 1;
INSERT INTO planets (name, mass) VALUES ('Kepler-22b', 2.4);
SQL
	cp instance/dev.db before.db
	x db baseline -m "Adopt the database"; expect_ok
	f=$(out)
	! grep -qi 'alembic_version\|sqlite_sequence' "$f" || fail "the revision names a table it must not"
	grep -q '^-- revises: none$' "$f" || fail "not a root"
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 1 ] || fail "not recorded"
	# Nothing ran: rows, the alembic_version row and the schema are as they were.
	diff <(objects before.db) <(objects instance/dev.db) || fail "the schema changed"
	[ "$(q instance/dev.db "SELECT name || mass FROM planets")" = Kepler-22b2.4 ] || fail "rows"
	[ "$(q instance/dev.db "SELECT version_num FROM alembic_version")" = ae1027a6acf ] || fail "alembic_version"
	# A fresh database from the chain has exactly the same schema.
	x -D fresh.db db upgrade; expect_ok
	diff <(objects fresh.db | grep -v sqlite_sequence) <(objects before.db | grep -v sqlite_sequence) || fail "a fresh database differs"
	x db check; expect_status 1
	expect_no_out '^(drift|pending)'
	snapshot
	x db baseline -m again; expect_ok
	expect_err '^nothing to record: instance/dev.db holds what the migration chain builds$'
	[ -z "$(out)" ] || fail "stdout: $(out)"
	expect_unchanged
	# The downgrade takes a fresh database back to nothing.
	x -D fresh.db db downgrade --no-backup base; expect_ok
	if objects fresh.db | grep -qv '^table sqlite_sequence '; then
		fail "downgrade left: $(objects fresh.db)"
	fi
}

t_baseline_errors_change_nothing() {
	bad 1 '^exodb: db baseline: migrations: ' db baseline -m x
	x db init
	bad 2 "^exodb: db baseline: option '-m' is required\$" db baseline
	bad 2 "^exodb: db baseline: option '-m' must not be blank\$" db baseline -m " "
	bad 1 '^exodb: db baseline: instance/dev.db: ' db baseline -m x
	[ ! -e instance ] || fail "made the instance folder"
	x db migrate -m "Initial user model"; expect_ok
	mkdir instance
	q instance/dev.db "CREATE TABLE t (x)"
	bad 1 "^exodb: db baseline: instance/dev.db: database is not up to date; run 'exodb db upgrade'\$" db baseline -m x
	x db upgrade; expect_ok
	rev 29990101000001 "$(ls migrations/versions | cut -c 1-14)" "" "" a
	rev 29990101000002 "$(ls migrations/versions | cut -c 1-14 | head -n 1)" "" "" b
	bad 1 "^exodb: db baseline: .*exodb db merge" db baseline -m x
}
run_tests
