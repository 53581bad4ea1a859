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
	expect_err "alembic_version says 0f0e0d0c0b0a $ALEMBIC \(Flask-Migrate\)"
	# An empty alembic_version names nothing.
	q instance/dev.db "DELETE FROM alembic_version"
	x db current; expect_ok
	[ "$(err)" = "no revisions applied" ] || fail "empty alembic_version: $(err)"
}

run_tests
