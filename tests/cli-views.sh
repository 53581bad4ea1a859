# End-to-end tests of views and triggers in the model: db migrate creates,
# drops and changes them as it does tables, db check sees them, and db
# downgrade gives the start back. The model is a file of the test's own
# (--model).
. "$(dirname "$0")/lib.sh"

# The compiled-in model's tables, and SQL after them, into m.sql.
model() {
	sed -n '/^CREATE /,$p' "$TOP/src/model.sql" >m.sql
	[ $# -eq 0 ] || printf '%s\n' "$@" >>m.sql
}

# The schema of a database, one object a line, without the history table:
# views and indexes as their CREATE texts, tables as their columns (a rebuild
# may respell a CREATE TABLE text), and a digest of the rows.
schema() {
	q "$1" "SELECT type || ' ' || name || ' ' || sql FROM sqlite_schema WHERE sql IS NOT NULL AND type <> 'table' ORDER BY type, name"
	q "$1" "SELECT m.name || ' ' || c.name || ' ' || c.type || ' ' || c.\"notnull\" || ' ' || coalesce(c.dflt_value, '-') || ' ' || c.pk FROM sqlite_schema AS m, pragma_table_xinfo(m.name) AS c WHERE m.type = 'table' AND m.name <> 'exodb_revisions' ORDER BY m.name, c.cid"
	q "$1" "SELECT count(*) || ' ' || coalesce(group_concat(username || role, ','), '') FROM users"
}

# A few users, so that a view has rows to show.
users() {
	q instance/dev.db "INSERT INTO users (username, email, password_hash, role) VALUES ('ann', 'ann@example.org', 'x', 'admin'), ('bob', 'bob@example.org', 'x', 'user')"
}

ADMINS="CREATE VIEW admins AS SELECT id, username FROM users WHERE role = 'admin';"

t_view_in_the_model_is_created_and_undone() {
	seed
	users
	schema instance/dev.db >before
	model "$ADMINS"
	# db check sees the view the chain lacks, by name.
	x --model m.sql db check; expect_status 1
	expect_out '^needed create view admins$'
	x --model m.sql db migrate -m "Admins"; expect_ok
	expect_err '^detected create view admins$'
	expect_err '^no PostgreSQL sections: view admins is SQLite SQL; write them by hand'
	f=$(out)
	grep -q '^CREATE VIEW admins AS SELECT id, username FROM users' "$f" || fail "no CREATE VIEW: $(cat "$f")"
	grep -q '^DROP VIEW admins;$' "$f" || fail "the downgrade does not drop it: $(cat "$f")"
	x --model m.sql db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT group_concat(username) FROM admins")" = ann ] || fail "the view does not work"
	x --model m.sql db check; expect_ok
	expect_err 'matches the model'
	x --model m.sql db migrate -m again; expect_ok; expect_err 'no changes in schema detected'
	# The compiled-in model has no view: the chain is ahead of it, kept.
	x db downgrade -1; expect_ok
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the start back"
}

# A view the model no longer has is kept, as a table is, unless
# --drop-unknown; dropping a view loses no rows, so it is not destructive.
t_view_not_in_the_model_is_kept_or_dropped() {
	seed
	model "$ADMINS"
	x --model m.sql db migrate -m "Admins"; expect_ok
	x --model m.sql db upgrade; expect_ok
	schema instance/dev.db >before
	x db migrate -m "No admins"; expect_ok
	expect_err '^keeping view admins, which is not in the model \(drop it with --drop-unknown\)$'
	expect_err 'no changes in schema detected'
	x db check; expect_ok
	x db migrate -m "No admins" --drop-unknown; expect_ok
	expect_err '^detected drop view admins$'
	f=$(out)
	! grep -q destructive "$f" || fail "dropping a view is called destructive"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'admins'")" = 0 ] || fail "view kept"
	x db check; expect_ok
	x db downgrade -1; expect_ok
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the view back"
	[ "$(q instance/dev.db "SELECT count(*) FROM admins")" = 0 ] || fail "the view does not work"
}

# A view whose query changes is dropped and made again; spacing, case and
# quotes alone are no change.
t_changed_view_is_recreated() {
	seed
	users
	model "$ADMINS"
	x --model m.sql db migrate -m "Admins"; expect_ok
	x --model m.sql db upgrade; expect_ok
	schema instance/dev.db >before
	model 'create view "admins" as select id, username from USERS where role = '"'admin'"';'
	x --model m.sql db check; expect_ok
	x --model m.sql db migrate -m same; expect_ok; expect_err 'no changes in schema detected'
	model "CREATE VIEW admins AS SELECT id, username, email FROM users WHERE role = 'admin';"
	x --model m.sql db check; expect_status 1
	expect_out '^needed drop view admins \(it changes\)$'
	expect_out '^needed create view admins \(it changes\)$'
	x --model m.sql db migrate -m "Admins with email"; expect_ok
	x --model m.sql db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT email FROM admins")" = ann@example.org ] || fail "the view is not the new one"
	x --model m.sql db check; expect_ok
	x --model m.sql db downgrade -1; expect_ok
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the old view back"
}

# A rebuild of the table a view reads keeps the view working, both ways; a
# view on a view is made after the one it reads.
t_rebuild_under_a_view_keeps_it() {
	seed
	users
	model "$ADMINS" "CREATE VIEW admin_names AS SELECT username FROM admins;"
	x --model m.sql db migrate -m "Admins"; expect_ok
	f=$(out)
	[ "$(grep -n '^CREATE VIEW admins' "$f" | head -n 1 | cut -d: -f1)" -lt \
	    "$(grep -n '^CREATE VIEW admin_names' "$f" | head -n 1 | cut -d: -f1)" ] ||
	    fail "admin_names is made before admins: $(cat "$f")"
	x --model m.sql db upgrade; expect_ok
	schema instance/dev.db >before
	# The role's CHECK changes: a rebuild of users.
	model "$ADMINS" "CREATE VIEW admin_names AS SELECT username FROM admins;"
	sed -i "s/CHECK (role IN ('user', 'admin'))/CHECK (role IN ('user', 'admin', 'guest'))/" m.sql
	grep -q guest m.sql || fail "the model did not change"
	x --model m.sql db migrate -m "Guests"; expect_ok
	expect_err '^detected rebuild table users'
	x --model m.sql db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT group_concat(username) FROM admin_names")" = ann ] || fail "the view broke"
	q instance/dev.db "PRAGMA integrity_check" | grep -qx ok || fail "integrity"
	x --model m.sql db check; expect_ok
	x --model m.sql db downgrade -1; expect_ok
	[ "$(q instance/dev.db "SELECT group_concat(username) FROM admin_names")" = ann ] || fail "the view broke on the way back"
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the start back"
}

# A changed view over a column the same revision drops: the view goes first,
# so that ALTER TABLE can drop the column in place.
t_view_changes_with_the_column_it_reads() {
	seed
	model "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, tag TEXT);" "CREATE VIEW tagged AS SELECT body, tag FROM notes;"
	x --model m.sql db migrate -m "Notes"; expect_ok
	x --model m.sql db upgrade; expect_ok
	q instance/dev.db "INSERT INTO notes (body, tag) VALUES ('b', 't')"
	schema instance/dev.db >before
	model "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);" "CREATE VIEW tagged AS SELECT body FROM notes;"
	x --model m.sql db migrate -m "No tag" --allow-destructive; expect_ok
	expect_err '^detected drop column notes.tag$'
	x --model m.sql db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT * FROM tagged")" = b ] || fail "the view broke"
	x --model m.sql db check; expect_ok
	x --model m.sql db downgrade -1; expect_ok
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the start back"
	# The column comes back empty: the upgrade dropped its values.
	[ "$(q instance/dev.db "SELECT body || coalesce(tag, '-') FROM tagged")" = b- ] || fail "the old view broke"
}

# A view with INSTEAD OF triggers (which exodb does not manage) is never
# dropped to be made anew: that would drop its triggers for good.
t_view_with_instead_of_triggers_is_not_changed() {
	seed
	model "$ADMINS"
	x --model m.sql db migrate -m "Admins"; expect_ok
	x --model m.sql db upgrade; expect_ok
	q instance/dev.db "CREATE TRIGGER admins_insert INSTEAD OF INSERT ON admins BEGIN SELECT 1; END"
	x --model m.sql db baseline -m "Admins insert"; expect_ok
	model "CREATE VIEW admins AS SELECT id, username, email FROM users WHERE role = 'admin';"
	bad 1 '^exodb: db migrate: view admins cannot be changed: it has INSTEAD OF triggers, which exodb does not manage; drop them first$' --model m.sql db migrate -m "Admins with email"
	# Again, with the chain's schema from the cache the first run wrote.
	bad 1 '^exodb: db migrate: view admins cannot be changed: it has INSTEAD OF triggers, which exodb does not manage; drop them first$' --model m.sql db migrate -m "Admins with email"
	x --model m.sql db check; expect_status 3
	expect_err 'view admins cannot be changed: it has INSTEAD OF triggers'
}

LOG="CREATE TABLE log (msg TEXT);"
LOGGED="CREATE TRIGGER users_log AFTER INSERT ON users BEGIN INSERT INTO log VALUES (new.username); END;"

# A trigger the model adds to a table the database has is made, and undone.
t_trigger_in_the_model_is_created_and_undone() {
	seed
	model "$LOG"
	x --model m.sql db migrate -m "Log"; expect_ok
	x --model m.sql db upgrade; expect_ok
	schema instance/dev.db >before
	model "$LOG" "$LOGGED"
	x --model m.sql db check; expect_status 1
	expect_out '^needed create trigger users_log on users$'
	x --model m.sql db migrate -m "Log users"; expect_ok
	expect_err '^detected create trigger users_log on users$'
	expect_err '^no PostgreSQL sections: table users has triggers, which are SQLite SQL'
	x --model m.sql db upgrade; expect_ok
	users
	[ "$(q instance/dev.db "SELECT group_concat(msg) FROM log")" = ann,bob ] || fail "the trigger does not work"
	x --model m.sql db check; expect_ok
	x --model m.sql db downgrade -1; expect_ok
	q instance/dev.db "DELETE FROM users; DELETE FROM log"
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the start back"
}

# A trigger that changes is dropped and made again, also across a rebuild of
# its table, which makes again only the triggers that stay.
t_trigger_changes_over_a_rebuild() {
	seed
	model "$LOG" "$LOGGED"
	x --model m.sql db migrate -m "Log users"; expect_ok
	x --model m.sql db upgrade; expect_ok
	schema instance/dev.db >before
	model "$LOG" "CREATE TRIGGER users_log AFTER INSERT ON users BEGIN INSERT INTO log VALUES ('new ' || new.username); END;"
	sed -i "s/CHECK (role IN ('user', 'admin'))/CHECK (role IN ('user', 'admin', 'guest'))/" m.sql
	x --model m.sql db migrate -m "Guests"; expect_ok
	expect_err '^detected drop trigger users_log on users \(it changes\)$'
	expect_err '^detected rebuild table users'
	expect_err '^detected create trigger users_log on users \(it changes\)$'
	x --model m.sql db upgrade; expect_ok
	users
	[ "$(q instance/dev.db "SELECT group_concat(msg) FROM log")" = "new ann,new bob" ] || fail "the trigger is not the new one"
	x --model m.sql db check; expect_ok
	x --model m.sql db downgrade -1; expect_ok
	q instance/dev.db "DELETE FROM users; DELETE FROM log"
	schema instance/dev.db >after
	diff before after || fail "the downgrade does not give the start back"
}

# A trigger the model lacks is kept, as a table is, unless --drop-unknown.
t_trigger_not_in_the_model_is_kept_or_dropped() {
	seed
	model "$LOG" "$LOGGED"
	x --model m.sql db migrate -m "Log users"; expect_ok
	x --model m.sql db upgrade; expect_ok
	model "$LOG"
	x --model m.sql db migrate -m "No trigger"; expect_ok
	expect_err '^keeping trigger users_log, which is not in the model \(drop it with --drop-unknown\)$'
	expect_err 'no changes in schema detected'
	x --model m.sql db migrate -m "No trigger" --drop-unknown; expect_ok
	expect_err '^detected drop trigger users_log on users$'
	x --model m.sql db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")" = 0 ] || fail "trigger kept"
	x --model m.sql db downgrade -1; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'users_log'")" = 1 ] || fail "the downgrade does not make it again"
}

run_tests
