# End-to-end tests of adopting a database exodb did not make: one made by
# the real Flask-Migrate (Debian's python3-flask-migrate) from the seed's
# User model, with 10,000 rows the model let through (NULL roles, 'Alice'
# beside 'alice', a NULL password hash). db init and the commands that read
# the repository know Flask-Migrate's migrations/ for what it is, db current
# names the revision alembic_version records, and the path the README
# documents goes from there to exodb's model keeping every row.
. "$(dirname "$0")/lib.sh"

ROWS=10000

# flask ARGS...: the Flask CLI on the older app, tests/flask-migrate-app.py.
flask() {
	run /usr/bin/python3 -B -m flask --app "$TOP/tests/flask-migrate-app.py" "$@"
	[ "$rc" -eq 0 ] || fail "flask $*: exit $rc"
}

# flask_app: the folder of an app that Flask-Migrate manages, made here:
# migrations/ by 'flask db init' and 'flask db migrate', instance/dev.db by
# 'flask db upgrade' and seeded with $ROWS users. Made once per run, copied
# into each test's folder.
flask_app() {
	local made="$root/flask-app"
	if [ ! -d "$made" ]; then
		mkdir "$made.new" || fail "cannot make $made.new"
		(cd "$made.new" &&
		 flask db init && flask db migrate -m "Users" &&
		 flask db upgrade && flask seed --rows "$ROWS") ||
		    fail "Flask-Migrate could not make the app's database"
		mv "$made.new" "$made"
	fi
	cp -a "$made/." . || fail "cannot copy the app"
	ALEMBIC=$(q instance/dev.db "SELECT version_num FROM alembic_version")
	[ -n "$ALEMBIC" ] || fail "Flask-Migrate recorded no revision"
}

# The schema of a database apart from the tables each tool keeps for itself.
schema() {
	q "$1" "SELECT type || ' ' || name || ': ' || sql FROM sqlite_schema
	    WHERE name NOT IN ('alembic_version', 'exodb_revisions')
	      AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
}

# rows DB [WHERE]: the users, one value per column, as a digest.
rows() {
	q "$1" "SELECT id, username, email, password_hash, role, is_approved
	    FROM users ${2:-} ORDER BY id" | sha256sum | cut -c 1-64
}

t_flask_migrate_made_the_database() {
	need sqlite3
	flask_app
	for f in alembic.ini env.py script.py.mako; do
		[ -f "migrations/$f" ] || fail "flask db init made no migrations/$f"
	done
	[ -f "migrations/versions/${ALEMBIC}_users.py" ] ||
	    fail "no Alembic revision ${ALEMBIC}_users.py"
	[ "$ALEMBIC" != "" ] && [[ $ALEMBIC =~ ^[0-9a-f]{12}$ ]] ||
	    fail "alembic_version: $ALEMBIC"
	[ "$(q instance/dev.db "SELECT count(*), count(role), count(password_hash),
	    count(DISTINCT username), count(DISTINCT lower(username)) FROM users")" = \
	    "$ROWS|$((ROWS - ROWS / 100))|$((ROWS - 1))|$ROWS|$((ROWS - 1))" ] ||
	    fail "rows: $(q instance/dev.db "SELECT count(*), count(role) FROM users")"
	[ "$(q instance/dev.db "SELECT group_concat(id || '=' || username, ' ')
	    FROM (SELECT id, username FROM users WHERE lower(username) = 'alice'
	    ORDER BY id)")" = "1=alice 2=Alice" ] ||
	    fail "no Alice beside alice"
	# Alembic's autogenerate, not exodb's: every column nullable.
	q instance/dev.db "SELECT sql FROM sqlite_schema WHERE name = 'users'" |
	    grep -q '^	role VARCHAR(20), $' || fail "users.role: $(q instance/dev.db .schema)"
}

t_init_refuses_a_flask_migrate_repository() {
	flask_app
	bad 1 "^exodb: db init: migrations/ is a Flask-Migrate \(Alembic\) repository: to adopt its database, move it aside \('mv migrations migrations\.alembic'\), then run 'exodb db init' and 'exodb db baseline -m MESSAGE'$" db init
	# With -d, the fix names that folder.
	mv migrations app-migrations
	bad 1 "^exodb: db init: app-migrations/ is a Flask-Migrate .*'mv app-migrations app-migrations\.alembic'" \
	    -d app-migrations db init
	# Any one of its files is enough, and Python revisions alone too.
	for f in alembic.ini env.py script.py.mako README; do
		rm -rf m; mkdir -p m/versions
		cp "app-migrations/$f" m/
		if [ $f = README ]; then
			x -d m db init; expect_status 1
			expect_one_error 'm: folder exists and is not empty'
		else
			bad 1 "m/ is a Flask-Migrate \(Alembic\) repository" -d m db init
		fi
	done
	rm -rf m; mkdir -p m/versions; cp app-migrations/versions/*.py m/versions/
	bad 1 "m/ is a Flask-Migrate \(Alembic\) repository" -d m db init
}

# Commands that read the repository do not take Alembic's for an empty one of
# exodb's (every revision pending, nothing to do): they say what it is.
t_commands_refuse_a_flask_migrate_repository() {
	flask_app
	for c in "db current" "db history" "db heads" "db upgrade" \
	    "db stamp head" "db downgrade base"; do
		# shellcheck disable=SC2086
		bad 1 "^exodb: $(echo $c | cut -d ' ' -f 1,2): migrations: is a Flask-Migrate \(Alembic\) repository, which exodb does not read; 'exodb db init' says how to adopt its database$" $c
	done
	# db check could not tell: no repository of exodb's to check against.
	bad 3 "^exodb: db check: migrations: is a Flask-Migrate \(Alembic\) repository" db check
	bad 1 "is a Flask-Migrate \(Alembic\) repository" db migrate -m x
	bad 1 "is a Flask-Migrate \(Alembic\) repository" db revision -m x
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'exodb_revisions'")" = 0 ] ||
	    fail "a history table was made"
}

t_current_names_the_alembic_revision() {
	flask_app
	mv migrations migrations.alembic
	x db init; expect_ok
	snapshot
	x db current; expect_ok
	[ ! -s "$T/.out" ] || fail "current printed a revision: $(out)"
	[ "$(err)" = "no exodb revisions applied; alembic_version says $ALEMBIC (Flask-Migrate); adopt the database with 'exodb db baseline -m MESSAGE'" ] ||
	    fail "current: $(err)"
	x -q db current; expect_ok
	[ ! -s "$T/.err" ] || fail "-q still prints the note"
	# Not exodb's history: nothing applied, nothing to list, nothing written.
	x db history; expect_ok
	[ ! -s "$T/.out" ] || fail "history lists: $(out)"
	x db heads; expect_ok
	[ ! -s "$T/.out" ] || fail "heads lists: $(out)"
	expect_unchanged
	# A branched Alembic graph has a row per head.
	q instance/dev.db "INSERT INTO alembic_version VALUES ('0f0e0d0c0b0a')"
	x db current; expect_ok
	# In id order, and the app's id is random: either may come first.
	heads=$(printf '%s\n' 0f0e0d0c0b0a "$ALEMBIC" | sort | tr '\n' ' ')
	expect_err "alembic_version says ${heads% } \(Flask-Migrate\)"
	# An empty alembic_version names nothing.
	q instance/dev.db "DELETE FROM alembic_version"
	x db current; expect_ok
	[ "$(err)" = "no revisions applied" ] || fail "empty alembic_version: $(err)"
}

# said: keep what exodb said on stderr, for the comparison with README
# (beside the test's folder, whose snapshots it must not change).
said() {
	cat "$T/.err" >>"$T.said"
}

# ids: revision ids, exodb's and Alembic's, as placeholders.
ids() {
	sed -E -e 's/\b[0-9]{14}\b/ID/g' -e 's/\b[0-9a-f]{12}\b/ALEMBIC/g'
}

# The path README documents, end to end, on $ROWS rows.
t_adopt_a_flask_migrate_database() {
	local baseline migrate before before_kept kept hash3 id n
	need sqlite3
	flask_app
	n=$(q instance/dev.db "SELECT count(*) FROM users")
	[ "$n" = "$ROWS" ] || fail "rows: $n"
	before=$(rows instance/dev.db)
	# The rows no fix touches: all but 'Alice', the NULL hash, NULL roles.
	before_kept=$(rows instance/dev.db "WHERE id NOT IN (2, 3) AND role IS NOT NULL")
	schema instance/dev.db >"$T/flask.schema"

	# 1. db init says what migrations/ is and what to do.
	bad 1 "migrations/ is a Flask-Migrate \(Alembic\) repository: to adopt its database, move it aside \('mv migrations migrations\.alembic'\), then run 'exodb db init' and 'exodb db baseline -m MESSAGE'" db init
	said
	mv migrations migrations.alembic
	x db init; expect_ok
	x db current; expect_ok; said
	expect_err "^no exodb revisions applied; alembic_version says $ALEMBIC \(Flask-Migrate\)"

	# 2. db baseline: a revision that makes what the database holds,
	# recorded as applied without running it there.
	x db baseline -m "Adopt the Flask-Migrate database"; expect_ok; said
	baseline=$(out)
	[ -f "$baseline" ] || fail "baseline printed no revision file: $(out)"
	id=$(basename "$baseline" | cut -c 1-14)
	[ "$(q instance/dev.db "SELECT group_concat(id) FROM exodb_revisions")" = "$id" ] ||
	    fail "baseline not recorded as applied"
	[ "$(rows instance/dev.db)" = "$before" ] || fail "baseline changed rows"
	[ "$(q instance/dev.db "SELECT version_num FROM alembic_version")" = "$ALEMBIC" ] ||
	    fail "alembic_version touched"
	sed -n '/^-- +upgrade$/,/^-- +downgrade$/p' "$baseline" >"$T/baseline.up"
	grep -q '^CREATE TABLE users' "$T/baseline.up" || fail "baseline lacks users"
	grep -q 'CREATE UNIQUE INDEX ix_users_username ON users' "$T/baseline.up" ||
	    fail "baseline lacks ix_users_username"
	grep -q 'CREATE UNIQUE INDEX ix_users_email ON users' "$T/baseline.up" ||
	    fail "baseline lacks ix_users_email"
	! grep -Eq 'alembic_version|exodb_revisions|sqlite_' "$T/baseline.up" ||
	    fail "baseline holds a table of a tool: $(cat "$T/baseline.up")"
	x db current; expect_ok
	[ "$(out)" = "$id (head)" ] || fail "current: $(out)"

	# A fresh database built from the chain is the Flask-Migrate one.
	x -D fresh.db db upgrade; expect_ok
	diff "$T/flask.schema" <(schema fresh.db) || fail "fresh != adopted after baseline"
	rm fresh.db

	# 3. db migrate goes from the chain to the model, and looks at the
	# rows first: 100 NULL roles are filled from the default, and the rows
	# the model forbids are named by id, with the fix; nothing is written.
	snapshot
	x db migrate -m "Users as the model has them"; expect_status 1; said
	expect_unchanged
	expect_err "^100 NULL values of users\.role become 'user'$"
	expect_err "^warning: users\.password_hash becomes NOT NULL, but 1 row holds NULL \(id 3\); fix the rows first"
	expect_err "^warning: UNIQUE \(username\) of users without regard to case is broken by 2 rows that share a value \(id 1, 2\); fix the rows first"
	expect_err "^exodb: db migrate: no revision written: 2 constraints would reject rows of instance/dev\.db \(named above\); fix the rows first$"
	[ "$(grep -c '^exodb: ' "$T/.err")" = 1 ] || fail "more than one error line"
	! grep -q alembic_version "$T/.err" || fail "alembic_version taken for exodb's"

	# 4. Fix the rows as the messages say: another name for 'Alice', a
	# password for the account that had none.
	q instance/dev.db "UPDATE users SET username = 'alice2' WHERE id = 2"
	"$EXODB" user passwd user00003 --password-stdin \
	    < <(printf 'correct horse battery\n') >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_ok
	# What the upgrade will hold: NULL roles as 'user', nothing else changed.
	kept=$(q instance/dev.db "SELECT id, username, email, password_hash,
	    coalesce(role, 'user'), is_approved FROM users ORDER BY id" |
	    sha256sum | cut -c 1-64)
	hash3=$(q instance/dev.db "SELECT password_hash FROM users WHERE id = 3")
	[[ $hash3 == '$argon2id$'* ]] || fail "user passwd: $hash3"

	x db migrate -m "Users as the model has them"; expect_ok; said
	expect_err "^100 NULL values of users\.role become 'user'$"
	migrate=$(find migrations/versions -name '*.sql' ! -path "$baseline")
	[ "$(echo "$migrate" | wc -l)" = 1 ] || fail "revisions: $migrate"
	grep -q "^-- data: 100 NULL values of users\.role become 'user'" "$migrate" ||
	    fail "the revision's header lacks the fill: $(sed -n '1,/^-- +upgrade/p' "$migrate")"

	# 5. The upgrade says what it fills, and keeps every row and value.
	x db upgrade; expect_ok; said
	expect_err "100 NULL values of users\.role become 'user'"
	[ "$(q instance/dev.db "SELECT count(*) FROM users")" = "$ROWS" ] || fail "rows lost"
	[ "$(q instance/dev.db "SELECT id, username, email, password_hash, role,
	    is_approved FROM users ORDER BY id" | sha256sum | cut -c 1-64)" = "$kept" ] ||
	    fail "a value changed in the upgrade"
	[ "$(q instance/dev.db "SELECT count(*) FROM users WHERE role IS NULL")" = 0 ] ||
	    fail "NULL roles left"
	[ "$(q instance/dev.db "SELECT password_hash FROM users WHERE id = 3")" = "$hash3" ] ||
	    fail "the new password hash"
	[ "$(q instance/dev.db "SELECT version_num FROM alembic_version")" = "$ALEMBIC" ] ||
	    fail "alembic_version touched"
	[ "$(rows instance/dev.db "WHERE id NOT IN (2, 3) AND id % 100 != 0")" = "$before_kept" ] ||
	    fail "a row no fix touched changed"
	x db check; expect_ok; said
	# The model holds now: 'ALICE' is taken, a NULL role becomes 'user'.
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('ALICE', 'a@x', 'h')" 2>/dev/null ||
	    fail "a case-duplicate name was accepted"
	[ "$(q instance/dev.db "INSERT INTO users (username, email, password_hash, role)
	    VALUES ('newbie', 'n@x', 'h', NULL) RETURNING role")" = user ] ||
	    fail "an explicit NULL role is not the default"

	# 6. A fresh database from the chain equals the adopted one.
	x -D fresh.db db upgrade; expect_ok
	diff <(schema instance/dev.db) <(schema fresh.db) || fail "fresh != adopted"
	[ "$(q fresh.db "SELECT count(*) FROM users")" = 0 ] || fail "fresh has rows"

	# 7. Once nothing runs 'flask db', alembic_version can go (README).
	q instance/dev.db "DROP TABLE alembic_version"
	x db check; expect_ok

	# What README shows of this path is what exodb said here, revision ids
	# apart.
	sed -n '/^## Adopting a Flask-Migrate database$/,/^## /p' "$TOP/README.md" |
	    grep -E '^(exodb: |warning: |no exodb |100 NULL |recorded |database is )' |
	    ids >"$T/readme"
	[ "$(wc -l <"$T/readme")" -ge 8 ] || fail "README shows too little: $(cat "$T/readme")"
	ids <"$T.said" >"$T/said"
	grep -vxF -f "$T/said" "$T/readme" >"$T/unsaid"
	[ ! -s "$T/unsaid" ] || fail "README shows what exodb did not say: $(cat "$T/unsaid")"
}

run_tests
