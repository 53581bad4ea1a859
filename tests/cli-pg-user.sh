#!/bin/bash
# The user commands on PostgreSQL, on a real server (a throwaway cluster of
# this script's own, tests/pg.sh, a database for each test): the scenarios of
# tests/cli-user.sh that do not depend on the database, with the same output,
# messages and exit statuses, and what only the server can show (values only
# ever bound, never in a statement's text; creates at once from several
# connections).

# No test may reach the terminal that make runs in (see cli-user.sh).
if [ -z "${EXODB_TEST_NO_TTY:-}" ]; then
	EXODB_TEST_NO_TTY=1 exec setsid -w bash "$0" "$@"
fi
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/pg.sh
. "$(dirname "$0")/pg.sh"

FLOOR="m=19456,t=2,p=1"
export EXODB_ARGON2_COST=$FLOOR
PW="correct horse battery"

# pg_user_seed: pg_seed (tests/pg.sh), then EXODB_DATABASE names the server
# for every command.
pg_user_seed() {
	pg_seed
	export EXODB_DATABASE=$DB
}

xin() {
	local input=$1
	shift
	"$EXODB" "$@" < <(printf '%s' "$input") >"$T/.out" 2>"$T/.err"
	rc=$?
}

mk() {
	local name=$1 email=$2
	shift 2
	xin "$PW" user create "$name" --email "$email" --password-stdin "$@"
	expect_ok
}

hash_of() {
	pq "SELECT password_hash FROM users WHERE username = '$1'"
}

# The rows of users, to show that a refused command changed none.
rows() {
	pq "SELECT id, username, email, role, is_approved, password_hash FROM users ORDER BY id"
}

# pgbad INPUT STATUS PATTERN ARGS...: exodb fails with that status and one
# error line, and the table is as it was.
pgbad() {
	local input=$1 status=$2 pattern=$3 before
	shift 3
	before=$(rows)
	xin "$input" "$@"
	expect_status "$status"
	expect_one_error "$pattern"
	[ "$(rows)" = "$before" ] || fail "the table changed: $(rows)"
}

expect_phc() {
	echo "$1" | grep -Eq "^\\\$argon2id\\\$v=19\\\$$2\\\$[A-Za-z0-9+/]{22}\\\$[A-Za-z0-9+/]{43}\$" ||
	    fail "not an Argon2id PHC string at $2: $1"
}

# json_is JSON PYTHON: the JSON parses and equals the Python value.
json_is() {
	need /usr/bin/python3
	/usr/bin/python3 -c 'import ast, json, sys; sys.exit(json.loads(sys.argv[1]) != ast.literal_eval(sys.argv[2]))' "$1" "$2" ||
	    fail "JSON $1 is not $2"
}

t_create_show() {
	pg_user_seed
	xin "$PW" user create alice --email alice@example.org --password-stdin
	expect_ok
	[ "$(out)" = 1 ] || fail "stdout is not the new id: $(out)"
	expect_err "^created user alice \\(user\\); approve with 'exodb user approve alice'\$"
	expect_phc "$(hash_of alice)" "$FLOOR"
	[ "$(pq "SELECT username || '|' || email || '|' || role || '|' || is_approved FROM users")" = \
	    "alice|alice@example.org|user|false" ] || fail "row: $(rows)"
	xin "$PW" user create Bob --email bob@example.org --role admin --approved --password-stdin
	expect_ok
	[ "$(out)" = 2 ] || fail "second id: $(out)"
	expect_err '^created user Bob \(admin\), approved$'
	x user show BOB; expect_ok
	[ "$(out)" = "id:        2
username:  Bob
email:     bob@example.org
role:      admin
approved:  yes" ] || fail "show: $(out)"
	! grep -q argon2 "$T/.out" || fail "show prints the hash"
	x user show bob --json; expect_ok
	json_is "$(out)" "{'id': 2, 'username': 'Bob', 'email': 'bob@example.org', 'role': 'admin', 'approved': True}"
	! grep -q argon2 "$T/.out" || fail "show --json prints the hash"
	xin "$PW" user verify BOB --password-stdin; expect_ok
	expect_err '^password matches$'
}

t_approve_revoke() {
	pg_user_seed
	mk alice alice@example.org
	mk bob bob@example.org
	x user approve ALICE; expect_ok
	expect_err '^approved alice$'
	[ "$(pq "SELECT is_approved FROM users WHERE id = 1")" = t ] || fail "not approved"
	x user approve alice; expect_ok
	expect_err '^alice is already approved$'
	x user revoke Alice; expect_ok
	expect_err '^revoked the approval of alice$'
	[ "$(pq "SELECT is_approved FROM users WHERE id = 1")" = f ] || fail "not revoked"
	x user revoke alice; expect_ok
	expect_err '^alice is not approved; nothing to revoke$'
	# Several in one transaction: all, or none when one is unknown.
	pgbad "" 1 "^exodb: user approve: unknown user 'nobody'; no user was changed\$" \
	    user approve alice bob nobody
	x user approve alice BOB; expect_ok
	expect_err '^approved alice$'
	expect_err '^approved bob$'
	[ "$(pq "SELECT string_agg(is_approved::text, ',' ORDER BY id) FROM users")" = true,true ] ||
	    fail "not both approved"
}

t_set_role() {
	pg_user_seed
	mk alice alice@example.org
	x user set-role ALICE admin; expect_ok
	expect_err '^alice is now admin$'
	[ "$(pq "SELECT role FROM users")" = admin ] || fail "role"
	x user set-role alice admin; expect_ok
	expect_err '^alice is already admin$'
	x user set-role alice user; expect_ok
	[ "$(pq "SELECT role FROM users")" = user ] || fail "role back"
}

t_list() {
	pg_user_seed
	x user list; expect_ok
	[ "$(out)" = "id  username  email  role  approved" ] || fail "empty list: $(out)"
	expect_err '^no users$'
	x user list --json; expect_ok
	[ "$(out)" = "[]" ] || fail "empty json: $(out)"
	mk alice alice@example.org --approved
	mk bob b@x.org --role admin
	mk carol-the-third carol@example.org
	x user list; expect_ok
	[ "$(out)" = "id  username         email              role   approved
1   alice            alice@example.org  user   yes
2   bob              b@x.org            admin  no
3   carol-the-third  carol@example.org  user   no" ] || fail "list: $(out)"
	x user list --no-header --pending; expect_ok
	[ "$(out | cut -c 1-3 | tr -d ' ' | tr '\n' ,)" = "2,3," ] || fail "pending: $(out)"
	x user list --role admin; expect_ok
	[ "$(out | sed 1d | cut -c 1)" = 2 ] || fail "admins: $(out)"
	x user list --pending --role user; expect_ok
	[ "$(out | sed 1d | cut -c 1)" = 3 ] || fail "pending users: $(out)"
	x user list --pending --role user --role admin --json; expect_ok
	json_is "$(out)" "[{'id': 2, 'username': 'bob', 'email': 'b@x.org', 'role': 'admin', 'approved': False}]"
	x user list --json; expect_ok
	json_is "$(out)" "[{'id': 1, 'username': 'alice', 'email': 'alice@example.org', 'role': 'user', 'approved': True},
	    {'id': 2, 'username': 'bob', 'email': 'b@x.org', 'role': 'admin', 'approved': False},
	    {'id': 3, 'username': 'carol-the-third', 'email': 'carol@example.org', 'role': 'user', 'approved': False}]"
	! grep -q 'argon2' "$T/.out" || fail "the list shows a hash"
	x user list --pending --role user; expect_ok
	x user list --role admin --pending --no-header; expect_ok
	[ "$(out)" = "2  bob  b@x.org  admin  no" ] || fail "one row, its widths: $(out)"
	x user list --pending --role admin --json --no-header
	expect_status 2
}

# What the app stored may hold anything: JSON escapes it (the server's
# json_build_object), the table shows no control character and counts
# characters, not bytes.
t_list_odd_rows() {
	pg_user_seed
	pq "INSERT INTO users (username, email, password_hash) VALUES ('ev\"il', 'a' || chr(10) || chr(27) || '[2J@x.org', 'h'), ('jörg', 'j@x.org', 'h')" >/dev/null
	x user list --json; expect_ok
	json_is "$(out)" "[{'id': 1, 'username': 'ev\"il', 'email': 'a\n\x1b[2J@x.org', 'role': 'user', 'approved': False},
	    {'id': 2, 'username': 'jörg', 'email': 'j@x.org', 'role': 'user', 'approved': False}]"
	x user list; expect_ok
	[ "$(out | wc -l)" = 3 ] || fail "a cell broke a line: $(out)"
	! grep -q "$(printf '\033')" "$T/.out" || fail "escape character in the table"
	[ "$(out | sed -n 3p)" = "2   jörg      j@x.org       user  no" ] || fail "width of jörg: $(out)"
	# The model's trigger gives an explicit NULL the default, as on SQLite.
	pq "INSERT INTO users (username, email, password_hash, role, is_approved) VALUES ('n', 'n@x.org', 'h', NULL, NULL)" >/dev/null
	x user show n; expect_ok
	expect_out '^role:      user$'
	expect_out '^approved:  no$'
}

# A long list is streamed: every row, in order, and a reader that stops
# early ends it (the rest of the query is cancelled, not fetched).
t_list_long() {
	pg_user_seed
	pq "INSERT INTO users (username, email, password_hash, is_approved) SELECT 'user' || i, 'u' || i || '@x.org', 'h', i % 2 = 0 FROM generate_series(1, 20000) i" >/dev/null
	local start mid end
	start=$(date +%s%N)
	x user list --no-header; expect_ok
	mid=$(date +%s%N)
	"$PG_BIN/psql" -X -qAt -h "$PG_DIR" -U exodb -d "$PGNAME" \
	    -c "SELECT id, username, email, role, is_approved FROM users ORDER BY id" >/dev/null
	end=$(date +%s%N)
	info "user list, 20,000 rows: $(( (mid - start) / 1000000 )) ms; psql, the same rows: $(( (end - mid) / 1000000 )) ms"
	[ "$(out | wc -l)" = 20000 ] || fail "rows: $(out | wc -l)"
	[ "$(out | tail -n 1)" = "20000  user20000  u20000@x.org  user  yes" ] || fail "last: $(out | tail -n 1)"
	x user list --pending --json; expect_ok
	need /usr/bin/python3
	/usr/bin/python3 -c 'import json, sys; v = json.load(open(sys.argv[1])); sys.exit(len(v) != 10000 or v[-1]["username"] != "user19999")' "$T/.out" ||
	    fail "pending json: $(head -c 200 "$T/.out")"
	# With SIGPIPE ignored, exodb sees the pipe close, says so and ends the
	# query; the server's process for it then goes.
	(trap '' PIPE; "$EXODB" user list --json 2>"$T/.err" | head -c 100 >/dev/null
	 echo "${PIPESTATUS[0]}" >"$T/.rc")
	rc=$(cat "$T/.rc")
	expect_status 1
	expect_one_error '^exodb: standard output: Broken pipe$'
	until_gone
}

# rss ARGS...: the most memory exodb ARGS held, in KiB (GNU time). Under
# ASan, freed memory would wait in its quarantine: none, here.
rss() {
	need /usr/bin/time
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
	    /usr/bin/time -f %M -o "$T/.rss" "$EXODB" "$@" >/dev/null 2>"$T/.err" ||
	    fail "exodb $*: $(cat "$T/.err")"
	tail -n 1 "$T/.rss"
}

# One row in memory at a time: listing 100 times as many users takes no
# more memory than the output buffer and the server's connection need.
t_list_memory() {
	local small big
	# What GNU time sees there is valgrind's memory, not exodb's.
	[ -z "${EXODB_VALGRIND:-}" ] || skip "memory is measured without valgrind"
	pg_user_seed
	pq "INSERT INTO users (username, email, password_hash) SELECT 'user' || i, 'u' || i || '@x.org', 'h' FROM generate_series(1, 1000) i" >/dev/null
	small=$(rss user list)
	small=$((small > $(rss user list --json) ? small : $(rss user list --json)))
	pq "INSERT INTO users (username, email, password_hash) SELECT 'user' || i, 'u' || i || '@x.org', 'h' FROM generate_series(1001, 100000) i" >/dev/null
	big=$(rss user list)
	info "user list: $small KiB for 1,000 users, $big KiB for 100,000"
	[ "$big" -lt $((small + 2048)) ] || fail "100,000 users take $big KiB, 1,000 take $small KiB"
	big=$(rss user list --json)
	[ "$big" -lt $((small + 2048)) ] || fail "--json: 100,000 users take $big KiB, 1,000 take $small KiB"
}

# Poll (never sleep to synchronise) until the server has no exodb session.
until_gone() {
	local n=0
	until [ "$(pq "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'exodb'")" = 0 ]; do
		n=$((n + 1))
		[ $n -lt $((400 * SLOW)) ] || fail "a connection is left"
		sleep 0.05
	done
}

t_passwd_delete() {
	pg_user_seed
	mk alice alice@example.org
	mk bob bob@example.org
	old=$(hash_of alice)
	xin "new password 1" user passwd ALICE --password-stdin; expect_ok
	expect_err '^changed the password of alice$'
	expect_phc "$(hash_of alice)" "$FLOOR"
	[ "$(hash_of alice)" != "$old" ] || fail "hash unchanged"
	pgbad "$PW" 1 "^exodb: user verify: password does not match for 'alice'\$" \
	    user verify alice --password-stdin
	xin "new password 1" user verify alice --password-stdin; expect_ok
	pgbad "abc" 1 "^exodb: user passwd: password is shorter than 8 bytes\$" \
	    user passwd alice --password-stdin
	x user delete ALICE --yes; expect_ok
	expect_err '^deleted user alice$'
	[ "$(pq "SELECT string_agg(username, ',') FROM users")" = bob ] || fail "rows: $(rows)"
	# No terminal and no --yes: refused at once, nothing deleted.
	before=$(rows)
	run timeout $((10 * SLOW)) "$EXODB" user delete bob
	expect_status 1
	expect_one_error "^exodb: user delete: no terminal to ask for confirmation on; use --yes\$"
	[ "$(rows)" = "$before" ] || fail "deleted"
}

# A stored hash that is not Argon2 cannot be checked (exit 3); a weaker one
# that matches is replaced.
t_verify() {
	pg_user_seed
	mk alice alice@example.org
	pq "UPDATE users SET password_hash = '\$2b\$12\$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'" >/dev/null
	pgbad "$PW" 3 "^exodb: user verify: the stored hash of 'alice' is not Argon2 \\(looks like bcrypt\\); cannot verify\$" \
	    user verify ALICE --password-stdin
	xin "$PW" user passwd alice --password-stdin; expect_ok
	floor=$(hash_of alice)
	unset EXODB_ARGON2_COST
	xin "$PW" user verify alice --password-stdin; expect_ok
	expect_err '^password matches; rehashed with m=65536,t=3,p=4$'
	expect_phc "$(hash_of alice)" "m=65536,t=3,p=4"
	[ "$(hash_of alice)" != "$floor" ] || fail "not replaced"
	new=$(hash_of alice)
	xin "$PW" user verify alice --password-stdin; expect_ok
	expect_err '^password matches$'
	[ "$(hash_of alice)" = "$new" ] || fail "replaced twice"
}

# Names and emails are unique without regard to case, as the model's
# collation compares them: exodb says which is taken, never the server's
# text; and the table refuses a duplicate that exodb did not write.
t_bad_duplicates() {
	pg_user_seed
	mk alice alice@example.org
	pgbad "$PW" 1 "^exodb: user create: username 'alice' is taken\$" \
	    user create alice --email other@example.org --password-stdin
	pgbad "$PW" 1 "^exodb: user create: username 'ALICE' is taken\$" \
	    user create ALICE --email other@example.org --password-stdin
	pgbad "$PW" 1 "^exodb: user create: email 'alice@example.org' is taken\$" \
	    user create alice2 --email alice@example.org --password-stdin
	pgbad "$PW" 1 "^exodb: user create: email 'Alice@EXAMPLE.org' is taken\$" \
	    user create alice2 --email Alice@EXAMPLE.org --password-stdin
	! grep -qi 'constraint\|duplicate' "$T/.err" || fail "the server's text"
	! pq "INSERT INTO users (username, email, password_hash) VALUES ('Alice', 'x@x.org', 'h')" 2>/dev/null ||
	    fail "the unique index takes 'Alice'"
}

t_bad_input() {
	pg_user_seed
	mk alice alice@example.org
	pgbad "$PW" 1 "^exodb: user create: unknown role 'root'; roles are user and admin\$" \
	    user create bob --email b@x.org --role root --password-stdin
	pgbad "" 1 "^exodb: user set-role: unknown role 'Admin'; roles are user and admin\$" \
	    user set-role alice Admin
	pgbad "" 1 "^exodb: user list: unknown role 'boss'; roles are user and admin\$" \
	    user list --role boss
	pgbad "$PW" 1 "^exodb: user create: username 'al ice' has a character other than letters, digits" \
	    user create "al ice" --email a@x.org --password-stdin
	pgbad "$PW" 1 "^exodb: user create: email 'a@b@c' has more than one '@'\$" \
	    user create bob --email a@b@c --password-stdin
	pgbad "$PW" 1 "^exodb: user create: email is not valid UTF-8\$" \
	    user create bob --email "$(printf 'a\377@x.org')" --password-stdin
	for c in approve revoke show; do
		pgbad "" 1 "^exodb: user $c: unknown user 'bob'\$" user $c bob
	done
	pgbad "" 1 "^exodb: user set-role: unknown user 'bob'\$" user set-role bob admin
	pgbad "" 1 "^exodb: user delete: unknown user 'bob'\$" user delete bob --yes
	pgbad "$PW" 1 "^exodb: user passwd: unknown user 'bob'\$" user passwd bob --password-stdin
	pgbad "$PW" 1 "^exodb: user verify: unknown user 'bob'\$" user verify bob --password-stdin
	pgbad "" 1 "^exodb: user show: username is not valid UTF-8\$" user show "$(printf 'b\377b')"
	pgbad "" 1 "^exodb: user show: username contains a control character\$" user show "$(printf 'bob\033')"
	# No terminal and no --password-stdin: refused, never waiting.
	run timeout $((10 * SLOW)) "$EXODB" user create bob --email b@x.org
	expect_status 1
	expect_one_error "^exodb: user create: "
	[ "$(pq "SELECT count(*) FROM users")" = 1 ] || fail "created"
}

# No option takes a password; the values exodb sends are parameters, never
# in a statement's text: with every statement logged (their parameters
# left out), neither the password nor the hash is in the server's log, and
# the statements are.
t_password_never_in_text() {
	pg_user_seed
	pgbad "" 2 '^exodb: user create: ' user create alice --email a@x.org --password=secret1234
	! grep -q secret1234 "$T/.err" || fail "the value is repeated"
	pq "ALTER DATABASE \"$PGNAME\" SET log_statement = 'all'" >/dev/null
	pq "ALTER DATABASE \"$PGNAME\" SET log_parameter_max_length = 0" >/dev/null
	mk alice alice@example.org
	xin "$PW" user verify alice --password-stdin; expect_ok
	xin "new password 1" user passwd alice --password-stdin; expect_ok
	grep -q 'INSERT INTO users' "$PG_DIR/log" || fail "the statements are not logged"
	! grep -qF "$PW" "$PG_DIR/log" || fail "the password reached the server"
	! grep -qF "$(hash_of alice | cut -d '$' -f 5-)" "$PG_DIR/log" || fail "the hash is in a statement"
	! grep -qF "alice@example.org" "$PG_DIR/log" || fail "a value is in a statement"
}

# What the user commands check before they run: the database at head, and
# a users table with what they need.
t_bad_table() {
	pg_db
	x db init; expect_ok
	x db migrate -m "Initial user model"; expect_ok
	export EXODB_DATABASE=$DB
	pgbad "" 1 "^exodb: user list: postgresql:///$PGNAME.*: database is not up to date; run 'exodb db upgrade'\$" \
	    user list
	x db upgrade; expect_ok
	mk alice alice@example.org
	pq "ALTER TABLE users ADD COLUMN last_login text NOT NULL DEFAULT ''" >/dev/null
	pq "ALTER TABLE users ADD COLUMN team text" >/dev/null
	mk bob bob@example.org
	pq "ALTER TABLE users ADD COLUMN city text NOT NULL DEFAULT 'x'" >/dev/null
	pq "ALTER TABLE users ALTER COLUMN city DROP DEFAULT" >/dev/null
	pgbad "$PW" 1 "^exodb: user create: column users.city is NOT NULL without a default, which exodb cannot fill; give it a DEFAULT in the model\$" \
	    user create carol --email c@x.org --password-stdin
	x user list; expect_ok
	pq "ALTER TABLE users DROP COLUMN city" >/dev/null
	pq "ALTER TABLE users RENAME COLUMN role TO kind" >/dev/null
	pgbad "" 1 "^exodb: user show: table users has no column role, which the user commands need\$" \
	    user show alice
	pq "ALTER TABLE users RENAME COLUMN kind TO \"Role\"" >/dev/null
	pgbad "" 1 "^exodb: user show: table users has no column role, which the user commands need\$" \
	    user show alice
	pq "ALTER TABLE users RENAME COLUMN \"Role\" TO role" >/dev/null
	pq "ALTER TABLE users RENAME TO people" >/dev/null
	pq "CREATE VIEW users AS SELECT * FROM people" >/dev/null
	pgbad "" 1 "^exodb: user show: the database has no table users\$" user show alice
	pq "DROP VIEW users" >/dev/null
	pgbad "" 1 "^exodb: user list: the database has no table users\$" user list
	pq "ALTER TABLE people RENAME TO users" >/dev/null
	pq "ALTER TABLE users ALTER COLUMN username TYPE varchar(64) COLLATE \"C\"" >/dev/null
	pq "ALTER TABLE users ALTER COLUMN email TYPE varchar(120) COLLATE \"C\"" >/dev/null
	pq "DROP COLLATION nocase" >/dev/null
	pgbad "" 1 "^exodb: user show: the database has no collation nocase, " user show alice
}

# Eight creates of one name at once, from eight connections: exactly one
# succeeds, seven say it is taken, cleanly.
t_concurrent_create() {
	pg_user_seed
	local i ok=0 taken=0
	for i in 1 2 3 4 5 6 7 8; do
		("$EXODB" user create dup --email "dup$i@example.org" --password-stdin \
		    < <(printf '%s' "$PW") >"$root/c$i.out" 2>"$root/c$i.err"
		 echo $? >"$root/c$i.rc") &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		case $(cat "$root/c$i.rc") in
		0)	ok=$((ok + 1)) ;;
		1)	[ "$(cat "$root/c$i.err")" = "exodb: user create: username 'dup' is taken" ] ||
			    fail "create $i: $(cat "$root/c$i.err")"
			[ ! -s "$root/c$i.out" ] || fail "create $i wrote stdout"
			taken=$((taken + 1)) ;;
		*)	fail "create $i: exit $(cat "$root/c$i.rc"): $(cat "$root/c$i.err")" ;;
		esac
	done
	[ $ok -eq 1 ] && [ $taken -eq 7 ] || fail "$ok succeeded, $taken taken"
	[ "$(pq "SELECT count(*) FROM users")" = 1 ] || fail "rows: $(rows)"
}

# The same commands on SQLite and on PostgreSQL say the same.
t_same_as_sqlite() {
	local db out
	pg_user_seed
	x -D instance/dev.db db upgrade; expect_ok
	for db in instance/dev.db "$DB"; do
		out=$(
			for args in "create alice --email alice@example.org --password-stdin" \
			    "create Bob --email bob@x.org --role admin --approved --password-stdin" \
			    "create bob --email b2@x.org --password-stdin" "approve alice BOB" \
			    "revoke bob" "set-role ALICE admin" "list" "list --pending" \
			    "show bob" "passwd alice --password-stdin" "verify Alice --password-stdin" \
			    "delete nobody --yes" "delete alice --yes" "list --role admin"; do
				# shellcheck disable=SC2086 # $args are the arguments
				xin "$PW" -D "$db" user $args
				echo "$rc"; out; err
			done | sed "s|$db|DB|g")
		[ "$db" = instance/dev.db ] && sqlite=$out
	done
	[ "$out" = "$sqlite" ] || fail "they differ: $(diff <(echo "$sqlite") <(echo "$out"))"
}

# Shell completion offers the server's names, in any case.
t_complete_names() {
	pg_user_seed
	mk bob b@x.org
	mk Bea bea@x.org
	mk carol c@x.org
	"$EXODB" completion query -- 3 exodb user show b >"$T/.out" || fail "query"
	[ "$(sed 1d "$T/.out" | cut -f 1 | tr '\n' ' ')" = "Bea bob " ] || fail "candidates: $(out)"
	"$EXODB" completion query -- 5 exodb -D "$DB" user show C >"$T/.out" || fail "query"
	[ "$(sed 1d "$T/.out" | cut -f 1 | tr '\n' ' ')" = "carol " ] || fail "candidates: $(out)"
	"$EXODB" completion query -- 3 exodb user show "b_" >"$T/.out" || fail "query"
	[ "$(sed 1d "$T/.out" | wc -l)" = 0 ] || fail "'_' is a wildcard: $(out)"
}

run_tests
