# End-to-end tests of what scripts read: --json on db current, history,
# heads, show, status and check and on user show and list, db status,
# user list --no-header, user approve and revoke with several names, and
# --json refused by every command that has none. Python's json module reads
# the JSON, a parser that is not SQLite's.
. "$(dirname "$0")/lib.sh"

# js EXPR: EXPR evaluated by Python with d the JSON of the last stdout.
js() {
	need /usr/bin/python3
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/.out" "$1" || fail "stdout is not JSON, or $1 failed: $(out)"
}

# expect_js EXPR VALUE: js EXPR prints VALUE.
expect_js() {
	local v
	v=$(js "$1")
	[ "$v" = "$2" ] || fail "$1 is '$v', wanted '$2'"
}

# The model's first revision, then a that adds a table, then b, with a
# message that JSON must escape; a is applied, b pending.
MSG='say "hi" \ to jörg'
chain() {
	seed
	R1=$(ls migrations/versions | cut -c 1-14)
	rev 29990101000002 "$R1" "CREATE TABLE a (x);" "DROP TABLE a;" a
	x db upgrade; expect_ok
	rev 29990101000003 29990101000002 "CREATE TABLE b (x);" "DROP TABLE b;" b "$MSG"
}

t_db_json() {
	chain
	snapshot
	x db current --json; expect_ok
	expect_js 'len(d)' 1
	expect_js 'd[0]["id"], d[0]["head"], d[0]["applied"], d[0]["changed"], d[0]["missing"]' \
	    "('29990101000002', False, True, False, False)"
	expect_js 'd[0]["parents"] == ["'"$R1"'"] and d[0]["message"] == "a"' True
	expect_js 'd[0]["path"]' migrations/versions/29990101000002_a.sql
	expect_js 'd[0]["applied_at"] == "'"$(q instance/dev.db "SELECT applied_at FROM exodb_revisions WHERE id = '29990101000002'")"'"' True
	x db history --json; expect_ok
	expect_js '[r["id"] for r in d]' "['29990101000003', '29990101000002', '$R1']"
	expect_js 'd[0]["message"]' "$MSG"
	expect_js 'd[0]["applied"], d[0]["applied_at"], d[0]["head"], d[0]["parents"]' \
	    "(False, None, True, ['29990101000002'])"
	expect_js 'd[2]["parents"], d[2]["mergepoint"], d[2]["applied"]' "([], False, True)"
	expect_js 'sorted(d[1])' "['applied', 'applied_at', 'changed', 'created', 'head', 'id', 'mergepoint', 'message', 'missing', 'parents', 'path']"
	x db history --json -r 29990101000002:; expect_ok
	expect_js '[r["id"] for r in d]' "['29990101000003', '29990101000002']"
	x db heads --json; expect_ok
	expect_js '[(r["id"], r["path"]) for r in d]' \
	    "[('29990101000003', 'migrations/versions/29990101000003_b.sql')]"
	expect_js 'd[0]["message"]' "$MSG"
	expect_js 'sorted(d[0])' "['created', 'head', 'id', 'mergepoint', 'message', 'parents', 'path']"
	x db show --json 29990101000003; expect_ok
	expect_js 'd["upgrade"].strip(), d["downgrade"].strip()' "('CREATE TABLE b (x);', 'DROP TABLE b;')"
	expect_js 'd["checksum"]' "$(sha256sum migrations/versions/29990101000003_b.sql | cut -d ' ' -f 1)"
	expect_js 'd["destructive"], d["model"]' "([], None)"
	x db model; expect_ok
	fp=$(sed -n 's/^model \([0-9a-f]*\) .*/\1/p' "$T/.err")
	x db show --json "$R1"; expect_ok
	expect_js 'd["model"]' "$fp"
	# Nothing applied yet, and nothing in the repository: empty arrays.
	: >empty.db
	x -D empty.db db current --json; expect_ok
	[ "$(out)" = "[]" ] || fail "current of an empty database: $(out)"
	rm -f empty.db
	expect_unchanged
	mkdir none && cd none && x db init && cd ..
	x -d none/migrations db heads --json; expect_ok
	[ "$(out)" = "[]" ] || fail "heads of an empty repository: $(out)"
}

# An applied file edited or gone: the JSON says so, as the text does.
t_db_json_changed_and_missing() {
	chain
	x db upgrade; expect_ok
	echo "-- a change" >>migrations/versions/29990101000002_a.sql
	x db history --json; expect_ok
	expect_js '[(r["id"], r["changed"]) for r in d]' "[('29990101000003', False), ('29990101000002', True), ('$R1', False)]"
	expect_err 'warning: migrations/versions/29990101000002_a.sql: changed since it was applied'
	rm migrations/versions/29990101000003_b.sql
	x db current --json; expect_ok
	expect_js '[(r["id"], r["missing"], r["message"], r["applied"]) for r in d]' \
	    "[('29990101000002', False, 'a', True), ('29990101000003', True, None, True)]"
	x db history --json; expect_ok
	expect_js '[(r["id"], r["missing"], r["changed"]) for r in d]' \
	    "[('29990101000002', False, True), ('$R1', False, False), ('29990101000003', True, False)]"
	x db status --json; expect_ok
	expect_js 'd["changed"], d["missing"], d["applied"], d["pending"], d["revisions"]' \
	    "(['29990101000002'], ['29990101000003'], 2, 0, 2)"
}

t_db_status() {
	chain
	snapshot
	x db status; expect_ok
	x db model
	fp=$(sed -n 's/^model \([0-9a-f]*\) .*/\1/p' "$T/.err")
	x db status; expect_ok
	[ "$(out)" = "project:   $(pwd -P)
database:  instance/dev.db
model:     $fp
revisions: 3 (2 applied, 1 pending)
heads:     29990101000003
current:   29990101000002
changed:   none
missing:   none
drift:     not checked: revisions are pending" ] || fail "status: $(out)"
	x db status --json; expect_ok
	expect_js 'd["project"], d["database"], d["model"]' "('$(pwd -P)', 'instance/dev.db', '$fp')"
	expect_js 'd["revisions"], d["applied"], d["pending"], d["heads"], d["current"]' \
	    "(3, 2, 1, ['29990101000003'], ['29990101000002'])"
	expect_js 'd["changed"], d["missing"], d["drift"]' "([], [], None)"
	expect_js 'sorted(d)' "['applied', 'changed', 'current', 'database', 'drift', 'heads', 'missing', 'model', 'pending', 'project', 'revisions']"
	expect_unchanged
	# From -d, the project is the folder holding the repository.
	mkdir sub && cd sub && x -d ../migrations -D ../instance/dev.db db status --json && cd ..
	expect_ok
	expect_js 'd["project"]' "$(pwd -P)"
	# At head: drift is looked for, as db check does.
	x db upgrade; expect_ok
	x db status; expect_ok
	expect_out '^drift:     none$'
	x db status --json; expect_ok
	expect_js 'd["drift"], d["pending"]' "([], 0)"
	q instance/dev.db "CREATE TABLE stray (x)"
	x db status; expect_ok
	expect_out '^drift:     table stray: in the database, not in the chain$'
	x db status --json; expect_ok
	expect_js 'd["drift"]' "['table stray: in the database, not in the chain']"
	# A changed file: the chain is not what was applied; drift is not checked.
	echo "-- a change" >>migrations/versions/29990101000002_a.sql
	x db status; expect_ok
	expect_out '^drift:     not checked: applied files changed or are missing$'
	expect_out '^changed:   29990101000002$'
}

# db check --json: the same findings and exit status as the text.
t_db_check_json() {
	chain
	snapshot
	x db check --json; expect_status 1
	expect_one_error "^exodb: db check: instance/dev.db: 1 revision pending; run 'exodb db upgrade'\$"
	expect_js 'd["database"], d["at_head"], d["pending"]' "('instance/dev.db', False, ['29990101000003'])"
	expect_js 'd["matches_model"], d["needed"], d["drift"]' "(True, [], None)"
	expect_js 'sorted(d)' "['at_head', 'database', 'drift', 'matches_model', 'needed', 'pending']"
	expect_unchanged
	x db upgrade; expect_ok
	x db check --json; expect_ok
	expect_js 'd["at_head"], d["pending"], d["matches_model"], d["needed"], d["drift"]' "(True, [], True, [], [])"
	# The model wants what the chain lacks.
	{ cat "$TOP/src/model.sql"; echo "CREATE TABLE extra (x INTEGER);"; } >m.sql
	x --model m.sql db check --json; expect_status 1
	expect_one_error "the model needs 1 operation beyond the migration chain"
	expect_js 'd["matches_model"], d["needed"], d["drift"]' "(False, ['create table extra'], [])"
	# The database drifted from the chain.
	q instance/dev.db "DROP INDEX ix_users_email"
	x db check --json; expect_status 1
	expect_one_error "1 object drifted from the migration chain"
	expect_js 'd["matches_model"], len(d["drift"])' "(True, 1)"
	expect_js '"ix_users_email" in d["drift"][0]' True
	# It cannot tell: no JSON, exit 3.
	echo "-- a change" >>migrations/versions/29990101000002_a.sql
	bad 3 'changed since it was applied' db check --json
	[ ! -s "$T/.out" ] || fail "JSON when it cannot tell: $(out)"
}

# Users written straight into the table: these commands never read a hash.
users() {
	seed
	q instance/dev.db "INSERT INTO users (username, email, password_hash, role, is_approved) VALUES
	    ('alice', 'alice@x.org', 'h', 'admin', 1),
	    ('bob', 'b\"o''b' || char(10, 27) || '@x.org', 'h', 'user', 0),
	    ('carol', 'carol@x.org', 'h', 'user', 0)"
}

approved() {
	q instance/dev.db "SELECT group_concat(username || '=' || is_approved, ' ') FROM (SELECT * FROM users ORDER BY id)"
}

t_user_show_json() {
	users
	x user show --json BOB; expect_ok
	expect_js 'd == {"id": 2, "username": "bob", "email": "b\"o\x27b\n\x1b@x.org", "role": "user", "approved": False}' True
	x user show alice --json; expect_ok
	expect_js 'd["approved"], d["role"]' "(True, 'admin')"
	! grep -q '"h"\|hash' "$T/.out" || fail "show --json prints the hash"
	bad 1 "^exodb: user show: unknown user 'dave'\$" user show dave --json
}

t_user_list_no_header() {
	users
	x user list --no-header --role admin; expect_ok
	[ "$(out)" = "1  alice  alice@x.org  admin  yes" ] || fail "no header: $(out)"
	x user list --no-header --pending; expect_ok
	[ "$(out | wc -l)" = 2 ] || fail "pending: $(out)"
	expect_no_out '^id '
	bad 2 '^exodb: user list: --no-header is for the table, not --json$' user list --no-header --json
}

t_user_approve_revoke_many() {
	users
	x user approve bob carol alice; expect_ok
	expect_err '^approved bob$'
	expect_err '^approved carol$'
	expect_err '^alice is already approved$'
	[ "$(approved)" = "alice=1 bob=1 carol=1" ] || fail "$(approved)"
	x user revoke alice CAROL; expect_ok
	expect_err '^revoked the approval of carol$'
	[ "$(approved)" = "alice=0 bob=1 carol=0" ] || fail "$(approved)"
}

# One unknown name, anywhere in the list: nothing changes.
t_bad_user_approve_revoke_unknown() {
	users
	bad 1 "^exodb: user approve: unknown user 'zed'; no user was changed\$" user approve carol zed
	bad 1 "^exodb: user approve: unknown user 'zed'; no user was changed\$" user approve zed carol
	bad 1 "^exodb: user revoke: unknown user 'zed'; no user was changed\$" user revoke alice zed
	bad 1 "^exodb: user approve: unknown user 'zed'\$" user approve zed
	bad 1 "^exodb: user approve: unknown user 'b a'; no user was changed\$" user approve carol 'b a'
	[ "$(approved)" = "alice=1 bob=0 carol=0" ] || fail "$(approved)"
	bad 2 'missing argument' user approve
}

# Every command whose --help has no --json refuses it: one line, exit 2.
t_bad_json_where_there_is_none() {
	local group name n=0 with=""
	seed
	for group in db user; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			if "$EXODB" "$group" "$name" --help | grep -q -- '--json'; then
				with="$with $group-$name"
				continue
			fi
			bad 2 "^exodb: $group $name: unknown option '--json'; see 'exodb $group $name --help'\$" "$group" "$name" --json
			n=$((n + 1))
		done
	done
	[ "$with" = " db-current db-history db-heads db-show db-check db-status user-list user-show" ] ||
	    fail "the commands with --json: $with"
	info "commands refusing --json: $n"
}

run_tests
