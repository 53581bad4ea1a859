# End-to-end tests of autogenerate: a live database that drifted from the
# model is brought back by db migrate and db upgrade with every row kept, the
# constraints hold again, and db downgrade gives the drifted schema back.
. "$(dirname "$0")/lib.sh"

ROWS=10000

# The drift: role nullable with another default and CHECK, is_approved and
# ix_users_email missing, an extra column, an extra index, an extra table, a
# table with a foreign key into users, and a view on users.
drifted() {
	x db init
	x db migrate -m "Initial user model"; expect_ok
	mkdir -p instance
	sqlite3 instance/dev.db <<SQL
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) ${1-NOT NULL},
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) DEFAULT 'member' CHECK (role IN ('member', 'user', 'admin')),
	nickname TEXT
);
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
CREATE INDEX ix_users_role ON users (role);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, msg TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);
CREATE VIEW admins AS SELECT id, username FROM users WHERE role = 'admin';
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $ROWS)
INSERT INTO users (id, username, email, password_hash, role, nickname)
	SELECT n, printf('user%05d', n), printf('u%05d@example.org', n),
	    '\$argon2id\$v=19\$m=65536,t=3,p=4\$' || hex(n), CASE n % 3 WHEN 0 THEN NULL
	    WHEN 1 THEN 'user' ELSE 'admin' END, 'nick' || n FROM c;
INSERT INTO posts (user_id, body) SELECT id, 'post of ' || username FROM users;
INSERT INTO audit_log (msg) VALUES ('kept');
SQL
	x db stamp head; expect_ok
}

# What the users table holds, whatever its columns' order: model columns only.
rows() {
	q instance/dev.db "SELECT count(*) || ' ' || (SELECT group_concat(h, '') FROM (SELECT hex(id || '|' || username || '|' || email || '|' || password_hash || '|' || coalesce(role, 'user')) AS h FROM users ORDER BY id)) FROM users" | sha256sum
}

# The shape of users: columns, indexes with their collations, CREATE texts.
shape() {
	q "$1" "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || coalesce(dflt_value, '-') || ' ' || pk FROM pragma_table_xinfo('users') ORDER BY name"
	q "$1" "SELECT l.name || ' ' || l.\"unique\" || ' ' || group_concat(x.name || ' ' || x.coll, ',') FROM pragma_index_list('users') AS l, pragma_index_xinfo(l.name) AS x WHERE x.key GROUP BY l.name ORDER BY l.name"
	q "$1" "SELECT replace(sql, '\"users\"', 'users') FROM sqlite_schema WHERE tbl_name = 'users' AND sql IS NOT NULL ORDER BY name"
}

t_drift_is_repaired_with_every_row() {
	drifted
	before_rows=$(rows)
	shape instance/dev.db >"$T/drifted.shape"
	admins=$(q instance/dev.db "SELECT count(*) FROM admins")
	# The drift is recorded first, then repaired: every database the chain
	# builds goes the same way.
	x db baseline -m "Drift"; expect_ok
	x db migrate -m "Repair drift" --allow-destructive; expect_ok
	f=$(out)
	expect_err 'keeping table audit_log, which is not in the model'
	expect_err 'keeping table posts, which is not in the model'
	expect_err '^warning: destructive: rebuild table users: .*drop column users.nickname'
	grep -q '^-- destructive: rebuild table users' "$f" || fail "header does not flag the drop"
	# The NULL roles the default fills are counted, on stderr and in the header.
	expect_err "^$((ROWS / 3)) NULL values of users.role become 'user'\$"
	grep -q "^-- data: $((ROWS / 3)) NULL values of users.role become 'user'\$" "$f" || fail "header lacks the note"
	grep -q 'coalesce(role, '"'"'user'"'"')' "$f" || fail "NULL roles do not take the default"
	x db upgrade; expect_ok
	expect_err "^  noted when it was written: $((ROWS / 3)) NULL values of users.role become 'user'\$"
	# The schema is the model's: what a fresh database at head has.
	x -D fresh.db db upgrade; expect_ok
	diff <(shape fresh.db) <(shape instance/dev.db) || fail "users is not the model"
	x db check; expect_ok
	x db migrate -m again --allow-destructive; expect_ok; expect_err 'no changes in schema detected'
	# Every row and value survived; NULL roles became the default.
	[ "$(rows)" = "$before_rows" ] || fail "rows changed"
	[ "$(q instance/dev.db "SELECT count(*) FROM users WHERE is_approved = 0 AND role IN ('user', 'admin')")" = $ROWS ] || fail "defaults"
	[ "$(q instance/dev.db "SELECT count(*) FROM users WHERE role = 'user'")" = $((ROWS * 2 / 3 + 1)) ] || fail "NULL roles"
	# The constraints reject bad rows again.
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('USER00001', 'new@x.org', 'h')" 2>/dev/null || fail "duplicate username"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('new', 'U00001@EXAMPLE.ORG', 'h')" 2>/dev/null || fail "duplicate email"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash, role) VALUES ('new', 'new@x.org', 'h', 'member')" 2>/dev/null || fail "bad role"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash, is_approved) VALUES ('new', 'new@x.org', 'h', 2)" 2>/dev/null || fail "is_approved = 2"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('new', NULL, 'h')" 2>/dev/null || fail "NULL email"
	# The table with a foreign key into users kept its rows, and they match.
	[ "$(q instance/dev.db "SELECT count(*) FROM posts")" = $ROWS ] || fail "posts lost rows"
	[ -z "$(q instance/dev.db "PRAGMA foreign_key_check")" ] || fail "foreign keys broken"
	[ "$(q instance/dev.db "SELECT count(*) FROM posts JOIN users ON users.id = posts.user_id WHERE body = 'post of ' || username")" = $ROWS ] || fail "posts point elsewhere"
	[ "$(q instance/dev.db "SELECT msg FROM audit_log")" = kept ] || fail "audit_log touched"
	[ "$(q instance/dev.db "SELECT count(*) FROM admins")" = "$admins" ] || fail "the view broke"
	[ "$(q instance/dev.db "PRAGMA integrity_check")" = ok ] || fail "integrity"
	# Downgrade: the drifted schema again, rows still there.
	x db downgrade --no-backup --yes; expect_ok
	diff "$T/drifted.shape" <(shape instance/dev.db) || fail "downgrade does not give the drifted schema"
	[ "$(q instance/dev.db "SELECT count(*) FROM users")" = $ROWS ] || fail "rows lost on downgrade"
	[ "$(q instance/dev.db "SELECT count(*) FROM posts")" = $ROWS ] || fail "posts lost on downgrade"
	[ -z "$(q instance/dev.db "PRAGMA foreign_key_check")" ] || fail "foreign keys broken"
}

# A NOT NULL without a default over a NULL: db migrate names the row and
# writes nothing; a revision made before the row broke fails the upgrade,
# and the error names the row too.
t_tightening_not_null_without_default_fails_cleanly() {
	drifted ""
	x db baseline -m "Drift"; expect_ok
	q instance/dev.db "UPDATE users SET email = NULL WHERE id IN (77, 78)"
	snapshot
	x db migrate -m "Repair drift" --allow-destructive; expect_status 1
	[ "$(grep -c '^exodb: ' "$T/.err")" = 1 ] || fail "not one error"
	expect_err "^exodb: db migrate: no revision written: users.email becomes NOT NULL, but 2 rows hold NULL \\(id 77, 78\\); fix the rows first, e.g. UPDATE \"users\" SET \"email\" = \\.\\.\\. WHERE \"email\" IS NULL, or give the column a DEFAULT$"
	expect_unchanged
	q instance/dev.db "UPDATE users SET email = 'x77@x' WHERE id = 77; UPDATE users SET email = 'x78@x' WHERE id = 78"
	x db migrate -m "Repair drift" --allow-destructive; expect_ok
	f=$(out)
	q instance/dev.db "UPDATE users SET email = NULL WHERE id = 77"
	snapshot
	x db upgrade; expect_status 1
	expect_one_error "db upgrade: $f:[0-9]+: NOT NULL constraint failed: users.email; users.email becomes NOT NULL, but 1 row holds NULL \\(id 77\\)"
	expect_unchanged
}

t_drop_unknown_tables() {
	drifted
	q instance/dev.db "DROP TABLE posts; DROP VIEW admins"
	x db baseline -m "Drift"; expect_ok
	snapshot
	bad 1 'db migrate: no revision written: it would drop column users.nickname \(10000 values\), table audit_log \(1 row\), which model [0-9a-f]{64} \(compiled in\) lacks; if that is meant, run it again with --allow-destructive$' db migrate -m "Drop the rest" --drop-unknown
	expect_unchanged
	x db migrate -m "Drop the rest" --drop-unknown --allow-destructive; expect_ok
	f=$(out)
	expect_err '^warning: destructive: drop table audit_log$'
	grep -q '^DROP TABLE audit_log;$' "$f" || fail "no drop"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'audit_log'")" = 0 ] || fail "kept"
	x db downgrade --no-backup --yes; expect_ok
	[ "$(q instance/dev.db "SELECT sql FROM sqlite_schema WHERE name = 'audit_log'")" = \
	    "CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	msg TEXT NOT NULL
)" ] || fail "not recreated: $(q instance/dev.db "SELECT sql FROM sqlite_schema WHERE name = 'audit_log'")"
}

# Names come from the database: a newline in one must not end a comment.
t_hostile_names_stay_names() {
	seed
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('alice', 'a@x.org', 'h');
	    ALTER TABLE users ADD COLUMN \"x
UPDATE users SET role = 'admin';
--\" TEXT"
	x db baseline -m "The odd column"; expect_ok
	x db migrate -m "Drop the odd column" --allow-destructive; expect_ok
	f=$(out)
	# users keeps ON CONFLICT, which only its CREATE text says: a rebuild.
	expect_err "^warning: destructive: rebuild table users: users has constraints ALTER TABLE cannot keep \(such as ON CONFLICT\); drop column users.x UPDATE users SET role = 'admin'; --\$"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT role FROM users")" = user ] || fail "the name ran as SQL"
	[ "$(q instance/dev.db "SELECT count(*) FROM pragma_table_info('users')")" = 6 ] || fail "not dropped"
	x db downgrade --no-backup --yes; expect_ok
	[ "$(q instance/dev.db "SELECT role FROM users")" = user ] || fail "the name ran as SQL"
}

# A view on a column the model drops would break: refused, nothing written.
t_refuses_to_break_a_view() {
	seed
	q instance/dev.db "ALTER TABLE users ADD COLUMN legacy TEXT; CREATE VIEW old AS SELECT legacy FROM users"
	x db baseline -m "Legacy"; expect_ok
	bad 1 'db migrate: table users: view old names column legacy, which the change drops; change the view first' db migrate -m x
}

# A view broken before the change does not block it: the validity probe cleans
# up after itself even when its rename fails.
t_view_already_broken() {
	seed
	q instance/dev.db "PRAGMA legacy_alter_table=ON; CREATE TABLE t(a); CREATE VIEW v AS SELECT a FROM t; ALTER TABLE t RENAME TO t2; CREATE INDEX ix_extra ON users(role);"
	x db baseline -m "Broken view"; expect_ok
	x db migrate -m x; expect_ok
	f=$(out)
	! grep -q exodb_schema_check "$f" || fail "the probe's table is in the revision"
	grep -q '^DROP INDEX ix_extra;$' "$f" || fail "the index is not dropped: $(cat "$f")"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'ix_extra'")" = 0 ] || fail "index kept"
	x db migrate -m again; expect_ok; expect_err 'no changes in schema detected'
}

# What has no PostgreSQL form (here a named constraint) leaves the revision
# with SQLite's sections alone, said on stderr.
t_no_postgresql_form_writes_sqlite_alone() {
	seed
	sed -n '/^CREATE /,$p' "$TOP/src/model.sql" >m.sql
	echo "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, CONSTRAINT body_set CHECK (body <> ''));" >>m.sql
	x --model m.sql db migrate -m "Notes"; expect_ok
	expect_err "^no PostgreSQL sections: table notes: CONSTRAINT has no PostgreSQL form here; write them by hand \(-- \+upgrade postgresql, -- \+downgrade postgresql\) to run it on PostgreSQL$"
	f=$(out)
	grep -qx -- '-- +upgrade' "$f" || fail "no SQLite section"
	! grep -q -- '-- +upgrade postgresql' "$f" || fail "a PostgreSQL section: $(cat "$f")"
	x db upgrade; expect_ok
}

t_migrate_is_refused_not_written() {
	x db init
	x db migrate -m "Initial user model"
	mkdir instance
	q instance/dev.db "CREATE TABLE accounts (id INTEGER PRIMARY KEY); CREATE VIEW users AS SELECT * FROM accounts"
	x db stamp base
	rm migrations/versions/*
	x db baseline -m "Accounts"; expect_ok
	bad 1 'db migrate: table users cannot be created: a view has that name' db migrate -m x
}

# A rebuild whose copy runs a few seconds: each row the new table takes is
# checked with an expression that costs a few microseconds. Progress shows
# after a second, every 4,096 rows: under valgrind (some 500 times slower
# here) 10,000 rows still take tens of seconds, and cross 4,096 twice.
t_rebuild_progress_only_on_a_terminal() {
	local big=400000
	[ -z "${EXODB_VALGRIND:-}" ] || big=10000
	seed
	q instance/dev.db "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
	    WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $big)
	    INSERT INTO big (v) SELECT 'v' || n FROM c"
	parent=$(ls migrations/versions | cut -c 1-14)
	rev 29990101000000 "$parent" "CREATE TABLE exodb_new_big (
	id INTEGER PRIMARY KEY,
	v TEXT CHECK (length(replace(printf('%.2000c', 'a'), 'a', v)) > 0)
);
INSERT INTO exodb_new_big (id, v)
	SELECT id, v FROM big;
DROP TABLE big;
ALTER TABLE exodb_new_big RENAME TO big;" "" slow "slow rebuild"
	cp instance/dev.db pristine.db
	x db upgrade; expect_ok
	! grep -q 'rebuilding' "$T/.err" || fail "progress without a terminal"
	cp pristine.db instance/dev.db
	script -qec "$EXODB db upgrade" /dev/null >"$T/tty" 2>&1 || fail "upgrade on a terminal: $(cat "$T/tty")"
	tr '\r' '\n' <"$T/tty" >"$T/lines"
	grep -Eq "^rebuilding big: [0-9]+ of $big rows copied" "$T/lines" || fail "no progress on a terminal: $(cat "$T/tty")"
	grep -q "^rebuilding big: $big of $big rows copied" "$T/lines" || fail "no final count"
	info "progress lines on a terminal: $(grep -c '^rebuilding big' "$T/lines")"
	[ "$(q instance/dev.db "SELECT count(*) FROM big")" = "$big" ] || fail "rows"
	# With -q, nothing even on a terminal.
	cp pristine.db instance/dev.db
	script -qec "$EXODB -q db upgrade" /dev/null >"$T/tty" 2>&1 || fail "upgrade -q"
	! grep -q 'rebuilding' "$T/tty" || fail "progress with -q"
}

run_tests
