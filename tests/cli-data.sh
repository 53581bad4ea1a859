# End-to-end tests of what db migrate, db upgrade and db downgrade do about
# the rows: a tightened constraint is checked against the live rows first
# (offending rows named, NULLs a default fills counted), a revision that drops
# a table or column needs --allow-destructive, and a downgrade that drops data
# asks first. The terminal tests drive a tmux pane, as cli-user.sh does.
. "$(dirname "$0")/lib.sh"

# The model before: users looser than the compiled-in model (no collation,
# nullable hash and role, no CHECK), with a column and a table it lacks.
old_model() {
	cat >old.sql <<'SQL'
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256),
	role VARCHAR(20),
	is_approved BOOLEAN NOT NULL DEFAULT 0,
	bio TEXT
);
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
SQL
}

# A database at head of a chain that built the old model.
old_db() {
	old_model
	x db init; expect_ok
	x --model old.sql db migrate -m "Old model"; expect_ok
	x db upgrade; expect_ok
}

# add_users N [ROLE] [HASH]: N users, user1..userN, with that role and hash
# (SQL expressions of n).
add_users() {
	q instance/dev.db "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $1)
	    INSERT INTO users (id, username, email, password_hash, role, bio)
	    SELECT n, 'user' || n, 'u' || n || '@example.org', ${3:-"'h'"}, ${2:-"'user'"}, 'bio ' || n FROM c"
}

# The compiled-in model's fingerprint, as db model prints it.
fingerprint() {
	"$EXODB" db model 2>&1 >/dev/null | sed -n 's/^model \([0-9a-f]*\) .*/\1/p'
}

t_not_null_counts_the_defaults_and_names_the_nulls() {
	old_db
	add_users 120 "CASE WHEN n <= 100 THEN NULL ELSE 'admin' END" \
	    "CASE WHEN n IN (105, 110) THEN NULL ELSE 'h' END"
	snapshot
	x db migrate -m "Tighten users" --allow-destructive; expect_status 1
	expect_err "^100 NULL values of users.role become 'user'$"
	[ "$(grep -c '^exodb: ' "$T/.err")" = 1 ] || fail "not one error line"
	expect_err '^exodb: db migrate: no revision written: users.password_hash becomes NOT NULL, but 2 rows hold NULL \(id 105, 110\); fix the rows first, e.g. UPDATE "users" SET "password_hash" = \.\.\. WHERE "password_hash" IS NULL, or give the column a DEFAULT$'
	expect_unchanged
	# After fixing the rows, it proceeds, and says what the default fills.
	q instance/dev.db "UPDATE users SET password_hash = 'fixed' WHERE password_hash IS NULL"
	x db migrate -m "Tighten users" --allow-destructive; expect_ok
	f=$(out)
	expect_err "^100 NULL values of users.role become 'user'$"
	grep -qx -- "-- data: 100 NULL values of users.role become 'user'" "$f" || fail "header lacks the note: $(head -12 "$f")"
	# The file still parses, and its checksum is its own.
	x db show head; expect_ok
	x db history; expect_ok; expect_out 'Tighten users \[pending\]'
	x db upgrade; expect_ok
	expect_err "^applied [0-9]{14} Tighten users$"
	expect_err "^  noted when it was written: 100 NULL values of users.role become 'user'$"
	[ "$(q instance/dev.db "SELECT count(*) FROM users WHERE role = 'user'")" = 100 ] || fail "defaults not filled"
	[ "$(q instance/dev.db "SELECT count(*) FROM users WHERE password_hash = 'fixed'")" = 2 ] || fail "rows lost"
	# With -q, the note is gone from db upgrade (it is a note).
	x db downgrade --yes --no-backup; expect_ok
	x -q db upgrade; expect_ok
	[ ! -s "$T/.err" ] || fail "-q printed: $(err)"
}

t_unique_nocase_names_the_rows_until_they_are_fixed() {
	old_db
	q instance/dev.db "INSERT INTO users (id, username, email, password_hash, role) VALUES
	    (1, 'Alice', 'a1@x', 'h', 'user'), (2, 'bob', 'b@x', 'h', 'user'), (3, 'alice', 'a2@x', 'h', 'user')"
	bad 1 'db migrate: no revision written: UNIQUE \(username\) of users without regard to case is broken by 2 rows that share a value \(id 1, 3\); fix the rows first: make their values differ \(UPDATE\) or DELETE the extra ones$' \
	    -q db migrate -m "Case-blind names" --allow-destructive
	[ -z "$(find migrations/versions -name '*case_blind*')" ] || fail "a file was written"
	q instance/dev.db "UPDATE users SET username = 'alice2' WHERE id = 3"
	x db migrate -m "Case-blind names" --allow-destructive; expect_ok
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT group_concat(username, ' ') FROM (SELECT username FROM users ORDER BY id)")" = "Alice bob alice2" ] || fail "rows changed"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('ALICE', 'n@x', 'h')" 2>/dev/null ||
	    fail "the unique index does not ignore case"
}

t_check_names_the_rows() {
	old_db
	add_users 3 "CASE n WHEN 2 THEN 'boss' ELSE 'user' END"
	bad 1 "db migrate: no revision written: CHECK \\(role IN \\('user', 'admin'\\)\\) of users fails for 1 row \\(id 2\\); fix the rows first: UPDATE or DELETE those WHERE NOT \\(role IN \\('user', 'admin'\\)\\)$" \
	    -q db migrate -m x --allow-destructive
}

# Every constraint a change breaks is named (as warnings, which -q keeps),
# then one error line.
t_several_refusals_each_named_even_with_q() {
	old_db
	add_users 3 "CASE n WHEN 2 THEN 'boss' ELSE 'user' END" "CASE n WHEN 3 THEN NULL ELSE 'h' END"
	snapshot
	x -q db migrate -m x --allow-destructive; expect_status 1
	expect_err '^warning: users.password_hash becomes NOT NULL, but 1 row holds NULL \(id 3\)'
	expect_err "^warning: CHECK \\(role IN \\('user', 'admin'\\)\\) of users fails for 1 row \\(id 2\\)"
	expect_err '^exodb: db migrate: no revision written: 2 constraints would reject rows of instance/dev.db \(named above\); fix the rows first$'
	[ "$(wc -l <"$T/.err")" = 3 ] || fail "stderr: $(err)"
	expect_unchanged
}

# A NOT NULL column without a default can only fail on a table with rows.
t_impossible_not_null_column_is_refused_with_the_fix() {
	cat >one.sql <<'SQL'
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
SQL
	cat >two.sql <<'SQL'
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL);
SQL
	x db init
	x --model one.sql db migrate -m one; expect_ok
	x db upgrade; expect_ok
	# On an empty table it is fine.
	x --model two.sql db migrate -m two; expect_ok
	rm "$(out)"
	q instance/dev.db "INSERT INTO t (a) VALUES ('x'), ('y')"
	bad 1 'db migrate: no revision written: t.b is added NOT NULL without a DEFAULT, but t has 2 rows, which it can only fail: give it a DEFAULT, or add it nullable, fill it, then make it NOT NULL$' \
	    --model two.sql db migrate -m two
}

# A revision made while the rows were fine fails on those that are not: the
# error names them.
t_upgrade_failing_on_a_constraint_names_the_rows() {
	old_db
	add_users 3
	x db migrate -m "Case-blind names" --allow-destructive; expect_ok
	f=$(out)
	q instance/dev.db "INSERT INTO users (id, username, email, password_hash) VALUES (7, 'USER2', 'n@x', 'h')"
	bad 1 "db upgrade: $f:[0-9]+: UNIQUE constraint failed: users.username; UNIQUE \\(username\\) of users without regard to case is broken by 2 rows that share a value \\(id 2, 7\\); fix the rows first" \
	    db upgrade
}

t_destructive_needs_allow_destructive() {
	old_db
	add_users 2
	q instance/dev.db "INSERT INTO notes (body) VALUES ('kept')"
	fp=$(fingerprint)
	[ ${#fp} = 64 ] || fail "no fingerprint: $fp"
	bad 1 "db migrate: no revision written: it would drop column users.bio \\(2 values\\), which model $fp \\(compiled in\\) lacks; if that is meant, run it again with --allow-destructive$" \
	    -q db migrate -m "Drop bio"
	bad 1 "db migrate: no revision written: it would drop column users.bio \\(2 values\\), table notes \\(1 row\\), which model $fp \\(compiled in\\) lacks" \
	    -q db migrate -m "Drop bio" --drop-unknown
	# Another model names its file.
	cp "$TOP/src/model.sql" new.sql
	bad 1 "which model [0-9a-f]{64} \\(new.sql\\) lacks" -q --model new.sql db migrate -m "Drop bio"
	# With the option it is written, and the warnings survive -q.
	x -q db migrate -m "Drop bio" --drop-unknown --allow-destructive; expect_ok
	f=$(out)
	expect_err '^warning: destructive: rebuild table users: .*drop column users.bio'
	expect_err '^warning: destructive: drop table notes$'
	! grep -q '^detected' "$T/.err" || fail "-q printed notes"
	grep -q '^-- destructive: drop table notes$' "$f" || fail "header"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'notes'")" = 0 ] || fail "notes kept"
}

# --- db downgrade: asked before data goes ---------------------------------

# A database at head with two users.
populated() {
	seed
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@x', 'h'), ('b', 'b@x', 'h')"
}

t_downgrade_without_terminal_refuses() {
	populated
	bad 1 "db downgrade: downgrading to 'base' would drop table users \\(2 rows\\): no terminal to ask for confirmation on; use --yes$" \
	    db downgrade base
	[ -z "$(find instance -name '*.bak')" ] || fail "a backup was written"
}

t_downgrade_of_empty_tables_does_not_ask() {
	seed
	x db downgrade base; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'users'")" = 0 ] || fail "not reverted"
}

t_downgrade_yes_and_the_restore_line() {
	populated
	x db downgrade base --yes; expect_ok
	b=$(out)
	[ -f "$b" ] || fail "no backup: $b"
	expect_err "^backed up instance/dev.db before the downgrade; to restore it: cp $b instance/dev.db$"
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'users'")" = 0 ] || fail "not reverted"
	# The command printed puts everything back.
	restore=$(sed -n 's/.*; to restore it: //p' "$T/.err")
	sh -c "$restore" || fail "restore failed"
	[ "$(q instance/dev.db "SELECT group_concat(username, ' ') FROM users")" = "a b" ] || fail "rows not restored"
	x db check; expect_ok
}

# A path the shell would split is quoted in the restore command.
t_restore_line_quotes_the_path() {
	seed
	x -D "a b.db" db upgrade; expect_ok
	q "a b.db" "INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@x', 'h')"
	x -D "a b.db" db downgrade --yes; expect_ok
	expect_err "^backed up a b.db before the downgrade; to restore it: cp 'a b.db.[0-9]{14}.bak' 'a b.db'$"
	sh -c "$(sed -n 's/.*; to restore it: //p' "$T/.err")" || fail "restore failed"
	[ "$(q "a b.db" "SELECT username FROM users")" = a ] || fail "not restored"
}

# --- The terminal, driven through tmux (the pattern of cli-user.sh) -------

# term_start COMMAND: run a shell command in a new tmux pane in this test's
# folder; its exit status goes to $root/rc (written aside, then renamed: the
# test polls for it), its stderr to $root/err.
SOCKS=()
term_start() {
	SOCK="$root/$(basename "$T").${#SOCKS[@]}.tmux"
	SOCKS+=("$SOCK")
	{
		echo "cd '$T'"
		echo "export ASAN_OPTIONS='${ASAN_OPTIONS:-}' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'"
		echo "trap : INT"
		echo "$1 2>'$root/err'"
		echo "echo \$? >'$root/rc.tmp'"
		echo "mv '$root/rc.tmp' '$root/rc'"
		echo "exec cat"
	} >"$root/pane.sh"
	rm -f "$root/rc"
	tmux -S "$SOCK" -f /dev/null new-session -d -x 200 -y 40 "sh '$root/pane.sh'" ||
	    fail "tmux would not start"
	# shellcheck disable=SC2154 # s is the trap's own loop variable
	trap 'for s in "${SOCKS[@]}"; do tmux -S "$s" kill-server 2>/dev/null; done' EXIT
}

keys() {
	tmux -S "$SOCK" send-keys "$@"
}

screen() {
	tmux -S "$SOCK" capture-pane -p -S -1000
}

# until_true COMMAND...: poll a condition for up to 20 seconds.
until_true() {
	local n=0
	until "$@"; do
		n=$((n + 1))
		[ $n -lt 400 ] || fail "timed out waiting for: $* (screen: $(screen))"
		sleep 0.05
	done
}

on_screen() {
	screen | grep -qF -- "${1% }"
}

finished() {
	[ -f "$root/rc" ]
}

QUESTION="Downgrading to 'base' drops table users (2 rows). Continue? [y/N]"

t_tty_downgrade_answered_yes() {
	need tmux
	populated
	term_start "'$EXODB' db downgrade base"
	until_true on_screen "$QUESTION"
	keys y Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	grep -q '^reverted [0-9]* Initial user model$' "$root/err" || fail "stderr: $(cat "$root/err")"
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'users'")" = 0 ] || fail "not reverted"
}

t_tty_downgrade_answered_no() {
	need tmux
	populated
	snapshot
	term_start "'$EXODB' db downgrade base"
	until_true on_screen "$QUESTION"
	keys n Enter
	until_true finished
	[ "$(cat "$root/rc")" = 1 ] || fail "exit $(cat "$root/rc")"
	[ "$(cat "$root/err")" = "exodb: db downgrade: not confirmed; nothing was reverted" ] || fail "stderr: $(cat "$root/err")"
	expect_unchanged
}

# Enter alone is no.
t_tty_downgrade_default_is_no() {
	need tmux
	populated
	snapshot
	term_start "'$EXODB' db downgrade base"
	until_true on_screen "$QUESTION"
	keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 1 ] || fail "exit $(cat "$root/rc")"
	expect_unchanged
}

run_tests
