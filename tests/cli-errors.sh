# Error paths that make coverage found no other test reaching, each from an
# ordinary cause: a trigger the app added that refuses or skips a write, a
# lock another process holds, an editor that dies, an empty repository, a
# history table changed by hand, a revision that cannot run. Each asserts the
# one error line, the exit status and that nothing changed on disk.
# tests/COVERAGE.md lists what is left uncovered, and why.
. "$(dirname "$0")/lib.sh"

export EXODB_ARGON2_COST="m=19456,t=2,p=1"
PW="correct horse battery"

# xin INPUT ARGS...: run exodb with INPUT on stdin.
xin() {
	local input=$1
	shift
	"$EXODB" "$@" < <(printf '%s' "$input") >"$T/.out" 2>"$T/.err"
	rc=$?
}

# badin INPUT STATUS PATTERN ARGS...: bad, with INPUT on stdin.
badin() {
	local input=$1 status=$2 pattern=$3
	shift 3
	snapshot
	xin "$input" "$@"
	expect_status "$status"
	expect_one_error "$pattern"
	expect_unchanged
}

# A seeded project with the user bob.
with_bob() {
	seed
	xin "$PW" user create bob --email bob@x.org --password-stdin; expect_ok
}

head_id() {
	ls migrations/versions | sed -n 's/^\([0-9]\{14\}\)_.*/\1/p' | sort | tail -n 1
}

# --- The database refuses a write: a trigger the app added -------------------

# Every user command that writes reports the trigger's own message, rolls
# back, and leaves the database as it was.
t_bad_user_write_refused_by_trigger() {
	with_bob
	xin "$PW" user create dave --email dave@x.org --approved --password-stdin; expect_ok
	q instance/dev.db "CREATE TRIGGER frozen BEFORE UPDATE ON users BEGIN SELECT RAISE(ABORT, 'users are frozen'); END;
	    CREATE TRIGGER closed BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'no new users'); END;
	    CREATE TRIGGER kept BEFORE DELETE ON users BEGIN SELECT RAISE(ABORT, 'users are kept'); END;"
	bad 1 "^exodb: user approve: users are frozen\$" user approve bob
	bad 1 "^exodb: user revoke: users are frozen\$" user revoke dave
	bad 1 "^exodb: user set-role: users are frozen\$" user set-role bob admin
	badin "new password 1" 1 "^exodb: user passwd: users are frozen\$" \
	    user passwd bob --password-stdin
	badin "$PW" 1 "^exodb: user create: no new users\$" \
	    user create carol --email carol@x.org --password-stdin
	bad 1 "^exodb: user delete: users are kept\$" user delete bob --yes
	[ ! -e instance/dev.db-journal ] || fail "a journal is left"
}

# A trigger that silently skips the write (RAISE(IGNORE)): the row is not
# changed, so the user is reported unknown rather than changed.
t_bad_user_write_skipped_by_trigger() {
	with_bob
	q instance/dev.db "CREATE TRIGGER frozen BEFORE UPDATE ON users BEGIN SELECT RAISE(IGNORE); END;
	    CREATE TRIGGER kept BEFORE DELETE ON users BEGIN SELECT RAISE(IGNORE); END;"
	badin "new password 1" 1 "^exodb: user passwd: unknown user 'bob'\$" \
	    user passwd bob --password-stdin
	bad 1 "^exodb: user delete: unknown user 'bob'\$" user delete bob --yes
	[ "$(q instance/dev.db "SELECT count(*) FROM users")" = 1 ] || fail "bob went"
}

# verify rehashes a hash weaker than the default; when the new hash cannot be
# stored the answer stands (the password matches) with a warning.
t_verify_rehash_cannot_store() {
	with_bob
	q instance/dev.db "CREATE TRIGGER frozen BEFORE UPDATE OF password_hash ON users BEGIN SELECT RAISE(ABORT, 'hashes are frozen'); END;"
	snapshot
	EXODB_ARGON2_COST='' xin "$PW" user verify bob --password-stdin
	expect_ok
	[ "$(err)" = "warning: the password matches, but a stronger hash could not be stored: hashes are frozen
password matches" ] || fail "stderr: $(err)"
	expect_unchanged
}

# --- A lock another process holds --------------------------------------------

# The writers that take the write lock first (BEGIN IMMEDIATE) give up with
# the lock message and change nothing.
t_bad_locked_writers() {
	local locked="instance/dev.db: database is locked; another exodb, or the app, holds it \\(gave up after 0\\.2 s; see --timeout\\)\$"
	with_bob
	q instance/dev.db "CREATE INDEX ix_extra ON users (role)"
	hold IMMEDIATE
	bad 1 "^exodb: user approve: $locked" --timeout 0.2 user approve bob
	bad 1 "^exodb: db baseline: $locked" --timeout 0.2 db baseline -m "keep the index"
	release
	[ "$(ls migrations/versions | wc -l)" = 1 ] || fail "a revision was written"
}

# --- The repository and the editor -------------------------------------------

t_bad_show_edit_without_revisions() {
	x db init; expect_ok
	bad 1 "^exodb: db show: 'head': no revisions in migrations/versions\$" db show
	bad 1 "^exodb: db edit: 'head': no revisions in migrations/versions\$" db edit
	bad 1 "^exodb: db show: 'heads': no revisions in migrations/versions\$" db show heads
}

t_bad_edit_editor_killed() {
	seed
	printf '#!/bin/sh\nkill -TERM $$\n' >"$T/ed"
	chmod +x "$T/ed"
	snapshot
	VISUAL="$T/ed" run "$EXODB" db edit
	expect_status 1
	expect_one_error "^exodb: db edit: editor '$T/ed' failed \\(signal 15\\)\$"
	expect_unchanged
}

# --- Revisions that cannot run -------------------------------------------------

# upgrade --sql checks the revisions as upgrade does before printing any.
t_bad_upgrade_sql_refuses() {
	seed
	rev 29990101000000 "$(head_id)" "BEGIN; CREATE TABLE t (a); COMMIT;" "DROP TABLE t;"
	bad 1 "^exodb: db upgrade: .*29990101000000_hand.sql:[0-9]+: .*BEGIN" db upgrade --sql
	[ ! -s "$T/.out" ] || fail "a script was printed: $(out)"
}

# A downgrade over two revisions whose second fails on the rows alone (the
# trial run on a copy without rows passes): the first stays reverted (each
# runs in its own transaction), and the backup made before is kept and
# named, with the command that restores it.
t_downgrade_fails_midway_keeps_backup() {
	with_bob
	h=$(head_id)
	rev 29990101000000 "$h" "CREATE TABLE a (x);" \
	    "INSERT INTO users (username, email, password_hash) SELECT username, 'other', 'h' FROM users;" one
	rev 29990101000001 29990101000000 "CREATE TABLE b (x);" "DROP TABLE b;" two
	x db upgrade; expect_ok
	x db downgrade --yes "$h"
	expect_status 1
	expect_err "^exodb: db downgrade: .*29990101000000_one.sql:[0-9]+: UNIQUE constraint failed: users.username\$"
	b=$(out)
	echo "$b" | grep -Eq '^instance/dev\.db\.[0-9]{14}(-[0-9]+)?\.bak$' || fail "backup path: $b"
	[ -f "$b" ] || fail "the backup $b is gone"
	expect_err "^backed up instance/dev.db before the downgrade; to restore it: cp $b instance/dev.db\$"
	[ "$(q "$b" "SELECT count(*) FROM exodb_revisions")" = 3 ] || fail "the backup is not of before"
	[ "$(q instance/dev.db "SELECT group_concat(id, ' ') FROM (SELECT id FROM exodb_revisions ORDER BY id)")" = "$h 29990101000000" ] ||
	    fail "not one revision reverted: $(q instance/dev.db "SELECT id FROM exodb_revisions")"
	[ "$(q instance/dev.db "SELECT group_concat(name, ' ') FROM sqlite_schema WHERE name IN ('a', 'b')")" = a ] ||
	    fail "b is not dropped, or a is"
}

# --- The history table changed by hand ------------------------------------------

t_bad_history_null_value() {
	seed
	q instance/dev.db "ALTER TABLE exodb_revisions RENAME TO old;
	    CREATE TABLE exodb_revisions (id TEXT PRIMARY KEY, checksum TEXT, applied_at TEXT);
	    INSERT INTO exodb_revisions SELECT id, NULL, applied_at FROM old; DROP TABLE old"
	bad 1 "^exodb: db current: exodb_revisions: a row holds NULL; the table was changed by hand\$" db current
	q instance/dev.db "UPDATE exodb_revisions SET checksum = 'x', applied_at = NULL"
	bad 1 "^exodb: db history: exodb_revisions: a row holds NULL; the table was changed by hand\$" db history
}

# --- Files and folders exodb may not read or write ------------------------------

# as_other: run exodb (a copy, ./exodb-copy) as someone the modes apply to:
# nobody when the tests run as root, who ignores them, else the user. The
# test's folder is theirs.
as_other() {
	cp "$EXODB" ./exodb-copy
	chmod -R a+rX .
	chmod 711 "$root"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R 65534:65534 .
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	else
		as=()
	fi
}

# bad_as STATUS PATTERN ARGS...: bad, run as_other says.
bad_as() {
	local status=$1 pattern=$2
	shift 2
	snapshot
	run "${as[@]}" ./exodb-copy "$@"
	expect_status "$status"
	expect_one_error "$pattern"
	expect_unchanged
}

t_bad_permissions() {
	seed
	mkdir other
	as_other
	# The repository.
	chmod 000 migrations/versions
	bad_as 1 "^exodb: db history: migrations/versions: Permission denied\$" db history
	chmod 500 migrations/versions
	bad_as 1 "^exodb: db revision: migrations/versions/\\.exodb-[0-9]+\\.tmp: Permission denied\$" db revision -m "by hand"
	chmod 700 migrations/versions
	f=$(ls migrations/versions/*.sql)
	chmod 000 "$f"
	bad_as 1 "^exodb: db history: $f: Permission denied\$" db history
	chmod 600 "$f"
	chmod 000 other
	bad_as 1 "^exodb: db init: other: Permission denied\$" -d other db init
	chmod 500 other
	bad_as 1 "^exodb: db init: other/versions: cannot create folder: Permission denied\$" -d other db init
	# The database.
	chmod 400 instance/dev.db
	bad_as 1 "^exodb: user approve: instance/dev.db: database file is read-only\$" user approve nobody
	chmod 600 instance/dev.db
	chmod 000 instance
	bad_as 1 "^exodb: db current: instance/dev.db: Permission denied\$" db current
	chmod 700 instance
	run "${as[@]}" ./exodb-copy db current; expect_ok
}

# --- Odd arguments and outputs ---------------------------------------------------

t_bad_empty_paths() {
	seed
	bad 2 "^exodb: usage: the database path is empty\$" -D '' db current
	bad 2 "^exodb: usage: the repository folder is empty\$" -d '' db current
}

t_bad_database_not_a_file() {
	seed
	mkfifo fifo
	bad 1 "^exodb: db current: fifo: not a regular file\$" -D fifo db current
	: >plain
	bad 1 "^exodb: db current: plain/dev.db: Not a directory\$" -D plain/dev.db db current
}

# Output that cannot be written is a failure, named, not a silent success.
t_bad_stdout_full() {
	seed
	[ -w /dev/full ] || fail "no /dev/full"
	snapshot
	"$EXODB" db history >/dev/full 2>"$T/.err"
	rc=$?
	expect_status 1
	expect_one_error "^exodb: standard output: No space left on device\$"
	expect_unchanged
}

# A step after '--' is still a step, not an option.
t_downgrade_step_after_dashdash() {
	seed
	x db downgrade --no-backup -- -1; expect_ok
	expect_err '^reverted [0-9]{14} Initial user model$'
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 0 ] || fail "not reverted"
}

# --- Drift, and a chain that does not replay ----------------------------------------

# Each kind of object that drifts is named, on one line even when its name
# holds a newline.
t_drift_every_kind() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE VIEW v AS SELECT id FROM users; CREATE TABLE t (a, b);" \
	    "DROP VIEW v; DROP TABLE t;"
	x db upgrade; expect_ok
	q instance/dev.db "DROP VIEW v; ALTER TABLE t DROP COLUMN b; CREATE TABLE \"x
y\" (a);"
	snapshot
	x db check
	expect_status 1
	[ "$(out)" = "drift column t.b: in the chain, not in the database
drift table x y: in the database, not in the chain
drift view v: in the chain, not in the database" ] || fail "stdout: $(out)"
	expect_one_error "^exodb: db check: instance/dev.db: 3 objects drifted from the migration chain; undo that in the database, or record it with 'exodb db baseline -m MESSAGE'\$"
	expect_unchanged
}

# A revision that needs the live rows (here, a user) runs on the database
# but not on the empty one the chain is replayed on: db status says drift
# was not checked and why; the commands that need the replay fail, naming
# the revision's line.
t_bad_chain_does_not_replay() {
	local why="the migration chain does not replay on an empty database: migrations/versions/29990101000000_hand.sql:8: NOT NULL constraint failed: t.a"
	seed
	xin "$PW" user create bob --email bob@x.org --password-stdin; expect_ok
	rev 29990101000000 "$(head_id)" "CREATE TABLE t (a NOT NULL); INSERT INTO t SELECT max(id) FROM users;" \
	    "DROP TABLE t;"
	x db upgrade; expect_ok
	snapshot
	x db status; expect_ok
	expect_out "^drift: +not checked: $why\$"
	expect_unchanged
	bad 3 "^exodb: db check: $why\$" db check
	bad 1 "^exodb: db migrate: $why; no revision written\$" db migrate -m x
	bad 1 "^exodb: db baseline: $why\$" db baseline -m x
}

# --- Odd but legal inputs ------------------------------------------------------------

# The restore command quotes a path as the shell needs it.
t_downgrade_backup_line_quotes() {
	x db init; expect_ok
	x db migrate -m init; expect_ok
	x -D "it's.db" db upgrade; expect_ok
	x -D "it's.db" db downgrade base; expect_ok
	b=$(out)
	echo "$b" | grep -Eq "^it's\\.db\\.[0-9]{14}(-[0-9]+)?\\.bak\$" || fail "backup path: $b"
	[ "$(sed -n '$p' "$T/.err")" = "backed up it's.db before the downgrade; to restore it: cp 'it'\\''s.db.${b#it\'s.db.}' 'it'\\''s.db'" ] ||
	    fail "restore line: $(err)"
	[ -f "$b" ] || fail "no backup"
}

# A block comment over several lines before a failing statement: the line
# reported is the statement's own.
t_bad_statement_line_after_block_comments() {
	seed
	rev 29990101000000 "$(head_id)" "/* a
b
c */ CREATE TABLE t (a); /* x
y */
INSERT INTO nowhere VALUES (1);" "DROP TABLE t;"
	bad 1 "^exodb: db upgrade: migrations/versions/29990101000000_hand.sql:12: no such table: nowhere\$" db upgrade
}

# A file whose last section has no final newline prints as a whole statement.
t_downgrade_sql_without_final_newline() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE TABLE t (a);" "DROP TABLE t;"
	f=migrations/versions/29990101000000_hand.sql
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || fail "no final newline to take"
	truncate -s -1 "$f"
	x db upgrade; expect_ok
	x db downgrade --sql; expect_ok
	out | grep -qx 'DROP TABLE t;' || fail "script: $(out)"
	sqlite3 instance/dev.db <"$T/.out" || fail "the script does not run"
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 't'")" = 0 ] || fail "t not dropped"
}

# Rows put in by hand: a negative id (the next rowids follow it), and more
# users than one output buffer holds.
t_user_list_hand_rows() {
	seed
	q instance/dev.db "INSERT INTO users (id, username, email, password_hash) VALUES (-5, 'neg', 'n@x.org', 'h');
	    WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000)
	    INSERT INTO users (username, email, password_hash) SELECT 'user' || n, 'user' || n || '@example.org', 'h' FROM c"
	x user list; expect_ok
	[ "$(out | sed -n 2p | tr -s ' ')" = "-5 neg n@x.org user no" ] || fail "line 2: $(out | sed -n 2p)"
	[ "$(out | wc -l)" = 3002 ] || fail "$(out | wc -l) lines"
	[ "$(out | tail -n 1 | tr -s ' ')" = "2995 user3000 user3000@example.org user no" ] || fail "last line: $(out | tail -n 1)"
}

# An alembic_version without Alembic's column gives no hint, and no error:
# the hint is a courtesy.
t_current_odd_alembic_version() {
	x db init; expect_ok
	x db migrate -m init; expect_ok
	mkdir -m 700 instance
	q instance/dev.db "CREATE TABLE alembic_version (v TEXT); INSERT INTO alembic_version VALUES ('abc')"
	chmod 600 instance/dev.db
	snapshot
	x db current; expect_ok
	[ "$(err)" = "no revisions applied" ] || fail "stderr: $(err)"
	expect_unchanged
}

t_bad_status_model_does_not_load() {
	seed
	echo 'CREATE TABL x;' >"$T/bad.sql"
	bad 1 "^exodb: db status: $T/bad.sql:1: near \"TABL\": syntax error\$" --model "$T/bad.sql" db status
}

run_tests
