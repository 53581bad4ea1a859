# End-to-end tests of the revision graph commands: revision, upgrade and
# downgrade targets, current, heads, branches, history, show, stamp, merge,
# edit, check, repair, --sql, and the checksums that guard applied files.
. "$(dirname "$0")/lib.sh"

# A chain: the model's first revision, then three that each add a table.
chain() {
	seed
	R1=$(ls migrations/versions | cut -c 1-14)
	rev 29990101000002 "$R1" "CREATE TABLE a (x);" "DROP TABLE a;" a
	rev 29990101000003 29990101000002 "CREATE TABLE b (x);" "DROP TABLE b;" b
	rev 29990101000004 29990101000003 "CREATE TABLE c (x);" "DROP TABLE c;" c
}

applied() {
	q instance/dev.db "SELECT group_concat(id, ' ') FROM (SELECT id FROM exodb_revisions ORDER BY id)"
}

tables() {
	q instance/dev.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('users', 'exodb_revisions') ORDER BY name)"
}

# A schema dump for comparisons: every CREATE text and the history ids.
dump() {
	q "$1" "SELECT type || ' ' || name || ': ' || sql FROM sqlite_schema ORDER BY type, name"
	q "$1" "SELECT id || ' ' || checksum FROM exodb_revisions ORDER BY id"
}

t_revision_writes_empty_sections_on_head() {
	seed
	h=$(ls migrations/versions | cut -c 1-14)
	x db revision -m "Backfill emails"; expect_ok
	f=$(out)
	echo "$f" | grep -Eq '^migrations/versions/[0-9]{14}_backfill_emails\.sql$' || fail "name $f"
	grep -q "^-- revises: $h\$" "$f" || fail "revises"
	[ "$(sed -n '/^-- +upgrade$/,/^-- +downgrade$/p' "$f" | grep -vc '^-- +\|^$')" = 0 ] || fail "upgrade not empty"
	# Both databases' pairs, empty, to fill in.
	[ "$(grep -v '^-- [a-z]*:\|^-- exodb revision$' "$f" | tr '\n' '|')" = "|-- +upgrade||-- +downgrade||-- +upgrade postgresql||-- +downgrade postgresql|" ] ||
	    fail "sections: $(cat "$f")"
	x db upgrade; expect_ok
	expect_err '^applied [0-9]{14} Backfill emails$'
}

t_revision_on_empty_repository_is_a_root() {
	x db init
	x db revision -m first; expect_ok
	grep -q '^-- revises: none$' "$(out)" || fail "not a root"
	[ ! -e instance ] || fail "revision opened the database"
}

t_bad_revision_without_message() { x db init; bad 2 "db revision: option '-m' is required" db revision; }

# A revision written only for PostgreSQL stops an upgrade or downgrade on
# SQLite before anything runs, naming its file; --sql too. One with both
# pairs of sections runs SQLite's.
t_revision_without_a_sqlite_section_is_refused() {
	chain
	x db upgrade 29990101000002; expect_ok
	f=migrations/versions/29990101000003_b.sql
	printf -- '-- exodb revision\n-- id: 29990101000003\n-- revises: 29990101000002\n-- message: b\n-- created: 2026-01-01T00:00:00Z\n\n-- +upgrade postgresql\nCREATE TABLE b (x integer);\n\n-- +downgrade postgresql\nDROP TABLE b;\n' >"$f"
	bad 1 "^exodb: db upgrade: $f: has no upgrade section for SQLite \('-- \+upgrade'\); write one for this database\$" db upgrade
	[ "$(applied)" = "$R1 29990101000002" ] || fail "upgrade ran: $(applied)"
	bad 1 "$f: has no upgrade section for SQLite" db upgrade --sql
	bad 1 "$f: has no upgrade section for SQLite" db upgrade head --single-transaction
	# Only the revisions the plan runs need one.
	x db downgrade base --no-backup --yes; expect_ok
	[ -z "$(applied)" ] || fail "downgrade to base: $(applied)"
	x db upgrade 29990101000002; expect_ok
	x db stamp 29990101000003; expect_ok
	bad 1 "^exodb: db downgrade: $f: has no downgrade section for SQLite \('-- \+downgrade'\)" db downgrade 29990101000002 --no-backup --yes
	[ "$(applied)" = "$R1 29990101000002 29990101000003" ] || fail "downgrade ran: $(applied)"
	# Both dialects: SQLite's pair runs, PostgreSQL's is left alone.
	printf -- '-- exodb revision\n-- id: 29990101000003\n-- revises: 29990101000002\n-- message: b\n-- created: 2026-01-01T00:00:00Z\n\n-- +upgrade\nCREATE TABLE b (x);\n\n-- +downgrade\nDROP TABLE b;\n\n-- +upgrade postgresql\nCREATE TABLE b (x integer) WITH (fillfactor = 90);\n\n-- +downgrade postgresql\nDROP TABLE b CASCADE;\n' >"$f"
	x db stamp 29990101000002; expect_ok
	x db upgrade; expect_ok
	[ "$(tables)" = "a b c" ] || fail "tables: $(tables)"
	x db downgrade 29990101000002 --no-backup --yes; expect_ok
	[ "$(tables)" = "a" ] || fail "tables: $(tables)"
}

t_upgrade_and_downgrade_targets() {
	chain
	x db upgrade +1; expect_ok
	[ "$(applied)" = "$R1 29990101000002" ] || fail "+1: $(applied)"
	x db upgrade +2; expect_ok
	[ "$(applied)" = "$R1 29990101000002 29990101000003 29990101000004" ] || fail "+2: $(applied)"
	x db downgrade; expect_ok
	expect_err '^reverted 29990101000004 c$'
	[ "$(tables)" = "a b" ] || fail "-1: $(tables)"
	x db downgrade -2; expect_ok
	[ "$(applied)" = "$R1" ] || fail "-2: $(applied)"
	x db upgrade 2999010100000; expect_err 'ambiguous' ; expect_status 1
	x db upgrade 299901010000031; expect_status 1
	x db upgrade 29990101000003; expect_ok
	[ "$(tables)" = "a b" ] || fail "to id: $(tables)"
	x db upgrade 29990101000003; expect_ok
	expect_err "nothing to apply for '29990101000003'"
	x db downgrade "$R1"; expect_ok
	[ "$(tables)" = "" ] || fail "to first: $(tables)"
	x db upgrade head; expect_ok
	x db downgrade base; expect_ok
	[ "$(applied)" = "" ] || fail "base: $(applied)"
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 'users'")" = 0 ] || fail "users survived base"
	x db downgrade base; expect_ok; expect_err 'nothing to revert'
}

t_verbose_prints_statements() {
	chain
	x -v db upgrade +1; expect_ok
	expect_err '^migrations/versions/29990101000002_a.sql:8: CREATE TABLE a \(x\)$'
	x db upgrade +1; expect_ok
	! grep -q '_b.sql:8' "$T/.err" || fail "statements without -v"
}

t_bad_unknown_target() { chain; x db upgrade; bad 1 "unknown revision '29991231'" db downgrade 29991231; }
# Each command's message lists exactly the spellings it accepts.
t_bad_not_a_target() {
	chain
	bad 1 "'tip': not a revision id, 'head', 'heads', 'base' or \\+N$" db upgrade tip
	bad 1 "'tip': not a revision id, 'head', 'base' or -N$" db downgrade tip
	bad 1 "'tip': not a revision id, 'head', 'heads' or 'base'$" db stamp tip
	bad 1 "db show: 'base': not a revision id, 'head' or 'heads'$" db show base
	bad 1 "db edit: 'heads': not a revision id or 'head'$" db edit heads
	bad 1 "db merge: 'head': not a revision id or 'heads'$" db merge -m j head
	bad 1 "db history: 'tip': not a revision id, 'head', 'base', 'current' or empty$" db history -r tip:
}

t_bad_ambiguous_prefix() {
	chain
	bad 1 "revision prefix '2999' is ambiguous: 29990101000002 29990101000003 29990101000004" db upgrade 2999
}

t_bad_downgrade_below_base() {
	chain
	x db upgrade +2
	bad 1 "'-4': only 3 revisions applied; that is below base" db downgrade -4
}

t_bad_upgrade_past_head() {
	chain
	x db upgrade
	bad 1 "'\\+1': only 0 revisions pending; that is past head" db upgrade +1
	x db downgrade -1
	bad 1 "'\\+2': only 1 revision pending" db upgrade +2
}

t_bad_wrong_direction() {
	chain
	bad 1 "'-1': upgrade goes forward: use \\+N" db upgrade -1
	bad 1 "'\\+1': downgrade goes back: use -N" db downgrade +1
	bad 1 "'\\+0': not a revision id, 'head', 'heads', 'base' or \\+N" db upgrade +0
	x db downgrade 29990101000003
	expect_status 1; expect_one_error 'revision 29990101000003 is not applied'
}

t_bad_downgrade_missing_database() {
	chain
	rm -rf instance
	bad 1 "instance/dev.db: no such database; 'exodb db upgrade' creates it$" db downgrade
}

t_downgrade_writes_a_backup() {
	chain
	x db upgrade
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('keep', 'k@x', 'h')"
	x db downgrade -1; expect_ok
	b=$(out)
	[ -n "$b" ] && [ -f "$b" ] || fail "no backup named"
	echo "$b" | grep -Eq '^instance/dev\.db\.[0-9]{14}\.bak$' || fail "backup name $b"
	[ "$(stat -c %a "$b")" = 600 ] || fail "backup not 0600"
	[ "$(q "$b" "SELECT count(*) FROM exodb_revisions")" = 4 ] || fail "backup is not the state before"
	[ "$(q "$b" "SELECT username FROM users")" = keep ] || fail "backup lacks rows"
	x db downgrade -1; expect_ok
	[ "$(ls instance/*.bak | wc -l)" = 2 ] || fail "second backup"
	x db downgrade --no-backup -1; expect_ok
	[ "$(ls instance/*.bak | wc -l)" = 2 ] || fail "--no-backup wrote one"
	[ ! -s "$T/.out" ] || fail "--no-backup printed a backup"
}

t_failed_downgrade_keeps_no_useless_backup() {
	chain
	rev 29990101000005 29990101000004 "CREATE TABLE d (x);" "DROP TABLE nosuch;" d
	x db upgrade; expect_ok
	snapshot
	x db downgrade; expect_status 1
	expect_one_error 'db downgrade: migrations/versions/29990101000005_d.sql:11: no such table: nosuch'
	expect_unchanged
}

t_current_heads_branches_show() {
	chain
	x db current; expect_ok
	[ "$(out)" = "$R1" ] || fail "current at the first revision: $(out)"
	x db upgrade +2
	x db current; expect_ok
	[ "$(out)" = "29990101000003" ] || fail "current: $(out)"
	x db upgrade
	x db current; [ "$(out)" = "29990101000004 (head)" ] || fail "current at head: $(out)"
	x db heads; expect_ok
	[ "$(out)" = "29990101000004 (head), c" ] || fail "heads: $(out)"
	x db branches; expect_ok
	[ -z "$(out)" ] || fail "branches on a chain: $(out)"
	rev 29990101000009 29990101000002 "CREATE TABLE z (x);" "DROP TABLE z;" z
	x db branches; expect_ok
	[ "$(out)" = "29990101000002 (branchpoint), a
    -> 29990101000003, b
    -> 29990101000009 (head), z" ] || fail "branches: $(out)"
	x db heads; [ "$(out | wc -l)" = 2 ] || fail "two heads"
	expect_err 'merge'
	x db show 29990101000003; expect_ok
	cmp -s "$T/.out" migrations/versions/29990101000003_b.sql || fail "show"
	x db show 2999010100000; expect_status 1; expect_one_error 'ambiguous'
	rm migrations/versions/29990101000009_z.sql
	x db show head; expect_ok
	grep -q '^-- id: 29990101000004$' "$T/.out" || fail "show head"
}

t_history_marks_ranges_and_verbose() {
	chain
	x db upgrade +2
	x db history; expect_ok
	[ "$(out)" = "29990101000003 -> 29990101000004 (head), c [pending]
29990101000002 -> 29990101000003, b [applied]
$R1 -> 29990101000002, a [applied]
<base> -> $R1, Initial user model [applied]" ] || fail "history: $(out)"
	x db history -r 29990101000002:29990101000003; expect_ok
	[ "$(out | wc -l)" = 2 ] || fail "range: $(out)"
	x db history -r current:; expect_ok
	[ "$(out | wc -l)" = 2 ] || fail "current: $(out)"
	x db history -r ":$R1"; expect_ok
	[ "$(out | wc -l)" = 1 ] || fail ":first"
	x db history --rev-range base:head --verbose; expect_ok
	expect_out '^Rev: 29990101000004 \(head\)$'
	expect_out '^Path: migrations/versions/29990101000004_c.sql$'
	expect_out '^Applied: no \(pending\)$'
	expect_out "^Applied: [0-9]{4}-[0-9]{2}-[0-9]{2}T"
	bad 2 "db history: range 'x' is not FROM:TO" db history -r x
	bad 1 "unknown revision '1'" db history -r 1:
}

t_stamp_adopts_a_flask_migrate_database() {
	x db init
	x db migrate -m "Initial user model"
	# A database Flask-Migrate made: the same table, and its version table.
	mkdir instance
	sqlite3 instance/dev.db "$(sed -n '/^-- +upgrade$/,/^-- +downgrade$/p' migrations/versions/*.sql | grep -v '^-- ')
	    CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
	    INSERT INTO alembic_version VALUES ('ae1027a6acf');
	    INSERT INTO users (username, email, password_hash) VALUES ('old', 'o@x', 'h');"
	x db upgrade; expect_status 1
	expect_one_error 'table users already exists'
	x db stamp head; expect_ok
	expect_err 'stamped head: 1 revision recorded as applied, 0 removed; nothing was run'
	expect_err 'alembic_version table of Flask-Migrate is left alone'
	[ "$(q instance/dev.db "SELECT version_num FROM alembic_version")" = ae1027a6acf ] || fail "alembic_version touched"
	[ "$(q instance/dev.db "SELECT username FROM users")" = old ] || fail "rows"
	x db upgrade; expect_ok; expect_err 'at head'
	x db check; expect_ok
}

t_stamp_moves_both_ways() {
	chain
	x db stamp 29990101000003; expect_ok
	[ "$(applied)" = "$R1 29990101000002 29990101000003" ] || fail "stamp id: $(applied)"
	[ "$(tables)" = "" ] || fail "stamp ran something"
	x db stamp base; expect_ok
	[ "$(applied)" = "" ] || fail "stamp base"
	expect_err '0 revisions recorded as applied, 3 removed'
	bad 1 "unknown revision '29991231000000'" db stamp 29991231000000
	bad 1 'not a revision id' db stamp tip
}

t_two_heads_and_merge() {
	chain
	rev 29990101000009 29990101000002 "CREATE TABLE z (x);" "DROP TABLE z;" z
	bad 1 "the revision graph has 2 heads: 29990101000004 29990101000009; join them with 'exodb db merge -m MESSAGE heads'" db upgrade
	bad 1 'has 2 heads' db migrate -m x
	bad 1 'has 2 heads' db revision -m x
	x db upgrade 29990101000009; expect_ok
	[ "$(tables)" = "a z" ] || fail "branch: $(tables)"
	x db merge -m "Join branches" heads; expect_ok
	m=$(out)
	grep -q '^-- revises: 29990101000004 29990101000009$' "$m" || fail "merge parents: $(grep revises "$m")"
	grep -qx -- '-- +downgrade postgresql' "$m" || fail "merge lacks the PostgreSQL sections"
	x db heads; [ "$(out | wc -l)" = 1 ] || fail "still two heads"
	x db upgrade; expect_ok
	[ "$(tables)" = "a b c z" ] || fail "after merge: $(tables)"
	x db history; expect_out '\(head\) \(mergepoint\), Join branches \[applied\]'
}

t_bad_merge_needs_two_parents() {
	chain
	bad 1 'db merge: a merge joins at least two revisions; there is only one head' db merge -m j heads
	bad 1 'db merge: a merge joins at least two' db merge -m j 29990101000004
	bad 1 'db merge: 29990101000003 is an ancestor of 29990101000004' db merge -m j 29990101000003 29990101000004
	bad 1 'is named twice' db merge -m j 29990101000004 29990101000004
	bad 2 'db merge: missing argument' db merge -m j
	bad 2 "db merge: option '-m' is required" db merge 29990101000004
}

t_merge_with_explicit_parents() {
	chain
	rev 29990101000009 29990101000002 "CREATE TABLE z (x);" "DROP TABLE z;" z
	x db merge -m j 2999010100000 29990101000009; expect_status 1; expect_one_error 'ambiguous'
	x db merge -m j 29990101000004 29990101000009; expect_ok
	grep -q '^-- revises: 29990101000004 29990101000009$' "$(out)" || fail "parents"
}

t_downgrade_through_a_merge_and_back() {
	chain
	rev 29990101000009 29990101000002 "CREATE TABLE z (x);
INSERT INTO z VALUES (1);" "DROP TABLE z;" z
	x db merge -m j heads
	x db upgrade; expect_ok
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('keep', 'k@x', 'h')"
	dump instance/dev.db | grep -v '^[0-9]' >"$T/head.schema"
	x db downgrade --yes "$R1"; expect_ok
	# Both branches are reverted, merge first, in reverse graph order.
	[ "$(grep -c '^reverted' "$T/.err")" = 5 ] || fail "reverted $(err)"
	[ "$(sed -n 1p "$T/.err" | cut -d ' ' -f 3)" = j ] || fail "merge not reverted first"
	[ "$(tables)" = "" ] || fail "tables left: $(tables)"
	[ "$(q instance/dev.db "SELECT username FROM users")" = keep ] || fail "rows lost"
	x db upgrade; expect_ok
	dump instance/dev.db | grep -v '^[0-9]' >"$T/again.schema"
	diff "$T/head.schema" "$T/again.schema" || fail "schema differs after down and up"
	[ "$(q instance/dev.db "SELECT username FROM users")" = keep ] || fail "rows lost"
	# The same as a fresh database brought to head.
	x -D fresh.db db upgrade; expect_ok
	dump fresh.db | grep -v '^[0-9]' >"$T/fresh.schema"
	diff "$T/head.schema" "$T/fresh.schema" || fail "differs from a fresh upgrade"
}

t_sql_scripts_equal_the_commands() {
	chain
	rev 29990101000009 29990101000002 "CREATE TABLE z (x);" "DROP TABLE z;" z
	x db merge -m j heads
	# A rebuild too: drift the table, let migrate write the revision.
	x db upgrade; expect_ok
	q instance/dev.db "ALTER TABLE users DROP COLUMN password_hash"
	x db baseline -m drift; expect_ok
	x db migrate -m rebuild; expect_ok
	rm -f instance/dev.db
	snapshot
	x db upgrade --sql; expect_ok
	cp "$T/.out" "$T/up.sql"
	[ ! -e instance/dev.db ] || fail "--sql created the database"
	x -D cmd.db db upgrade; expect_ok
	sqlite3 shell.db <"$T/up.sql" || fail "the shell failed"
	diff <(dump cmd.db) <(dump shell.db) || fail "upgrade script differs"
	grep -q 'exodb_new_users' "$T/up.sql" || fail "no rebuild in the script"
	# Downgrade from the middle of the graph, and to base.
	for target in -1 29990101000002 base; do
		cp cmd.db before.db
		x -D cmd.db db downgrade --sql "$target"; expect_ok
		cp "$T/.out" "$T/down.sql"
		cmp -s cmd.db before.db || fail "--sql touched the database"
		x -D cmd.db db downgrade --no-backup "$target"; expect_ok
		sqlite3 shell.db <"$T/down.sql" || fail "the shell failed on $target"
		diff <(dump cmd.db) <(dump shell.db) || fail "downgrade $target script differs"
	done
}

t_sql_script_stops_on_a_failing_revision() {
	chain
	x db upgrade
	rev 29990101000005 29990101000004 "CREATE TABLE d (x);
INSERT INTO nowhere VALUES (1);" "DROP TABLE d;" d
	x db upgrade --sql; expect_ok
	cp instance/dev.db before.db
	! sqlite3 instance/dev.db <"$T/.out" 2>/dev/null || fail "the script succeeded"
	diff <(dump before.db) <(dump instance/dev.db) || fail "the failing script left changes"
}

t_foreign_key_check_before_commit() {
	chain
	x db upgrade
	rev 29990101000005 29990101000004 "CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (pid INTEGER REFERENCES parent (id));
INSERT INTO child VALUES (42);" "DROP TABLE child; DROP TABLE parent;" fk
	snapshot
	x db upgrade; expect_status 1
	expect_one_error '_fk.sql: foreign key check failed: 1 row of child refers to missing rows of parent'
	expect_unchanged
	x db upgrade --sql
	! sqlite3 instance/dev.db <"$T/.out" 2>/dev/null || fail "the script passed the check"
	expect_unchanged
}

# Rows that broke a foreign key before a revision do not block it.
t_old_foreign_key_breakage_does_not_block() {
	chain
	x db upgrade
	q instance/dev.db "CREATE TABLE posts (uid INTEGER REFERENCES users (id)); INSERT INTO posts VALUES (42)"
	rev 29990101000005 29990101000004 "CREATE TABLE unrelated (x);" "DROP TABLE unrelated;" u
	x db upgrade; expect_ok
	x db downgrade --no-backup; expect_ok
	x db upgrade --sql
	sqlite3 instance/dev.db <"$T/.out" || fail "the script is blocked"
	rev 29990101000006 29990101000005 "INSERT INTO posts VALUES (43);" "DELETE FROM posts WHERE uid = 43;" more
	x db upgrade; expect_status 1
	expect_one_error '_more.sql: foreign key check failed: 1 row of posts refers to missing rows of users'
}

t_edit_runs_the_editor() {
	chain
	cat >"$T/ed" <<'ED'
#!/bin/sh
echo "-- edited by $0" >>"$1"
ED
	chmod +x "$T/ed"
	VISUAL="$T/ed" run "$EXODB" db edit 29990101000003; expect_ok
	grep -q '^-- edited by' migrations/versions/29990101000003_b.sql || fail "not edited"
	x db upgrade; expect_ok
	VISUAL="" EDITOR="$T/ed" run "$EXODB" db edit 29990101000003; expect_ok
	expect_err 'warning: 29990101000003 is applied'
	[ "$(grep -c '^-- edited by' migrations/versions/29990101000003_b.sql)" = 2 ] || fail "EDITOR"
	EDITOR=false run "$EXODB" db edit 29990101000003; expect_status 1
	expect_one_error "db edit: editor 'false' failed \\(exit status 1\\)"
	# An editor that leaves the applied file as it was: no warning.
	EDITOR=true run "$EXODB" db edit 29990101000003; expect_ok
	[ ! -s "$T/.err" ] || fail "a warning for a file that did not change: $(err)"
	# An edit of a pending revision: no warning either.
	rev 29990101000005 29990101000004 "SELECT 1;" "SELECT 1;" d
	EDITOR="$T/ed" run "$EXODB" db edit 29990101000005; expect_ok
	grep -q '^-- edited by' migrations/versions/29990101000005_d.sql || fail "not edited"
	[ ! -s "$T/.err" ] || fail "a warning for a pending revision: $(err)"
}

# Without $VISUAL or $EDITOR, vi runs only on a terminal; script(1) gives it
# one. The vi found on PATH here is a script that appends a line.
t_edit_runs_vi_on_a_terminal_only() {
	need script
	chain
	x db upgrade
	mkdir bin
	printf '#!/bin/sh\necho "-- vi was here" >>"$1"\n' >bin/vi
	chmod +x bin/vi
	snapshot
	PATH="$T/bin:$PATH" run "$EXODB" db edit 29990101000003
	expect_status 1
	expect_one_error '^exodb: db edit: migrations/versions/29990101000003_b.sql: no terminal to run vi on; set VISUAL or EDITOR to an editor that needs none$'
	expect_unchanged
	PATH="$T/bin:$PATH" run script -qec "'$EXODB' db edit 29990101000003" /dev/null
	expect_status 0
	grep -q '^-- vi was here$' migrations/versions/29990101000003_b.sql || fail "vi did not run"
	expect_out 'warning: 29990101000003 is applied'
}

t_bad_edit_without_editor() {
	need script
	chain
	snapshot
	# On a terminal, with no editor to be found.
	run env PATH=/nonexistent "$(command -v script)" -qec "'$EXODB' db edit 29990101000003" /dev/null
	expect_status 1
	[ "$(tr -d '\r' <"$T/.out")" = "exodb: db edit: no editor found; set VISUAL or EDITOR" ] ||
	    fail "on a terminal: $(out)"
	expect_unchanged
	# Without one.
	PATH=/nonexistent run "$EXODB" db edit 29990101000003
	expect_status 1
	expect_one_error 'db edit: .*: no terminal to run vi on; set VISUAL or EDITOR'
	expect_unchanged
	bad 1 "unknown revision '7'" db edit 7
}

t_check_for_ci() {
	chain
	x db check; expect_status 1
	expect_one_error "db check: instance/dev.db: 3 revisions pending; run 'exodb db upgrade'"
	[ "$(out | wc -l)" = 3 ] || fail "pending lines"
	expect_out '^pending 29990101000002 a$'
	x db upgrade
	x db check; expect_ok; expect_err 'at head, without drift, and matches the model'
	q instance/dev.db "DROP INDEX ix_users_email"
	x db check; expect_status 1
	expect_one_error "1 object drifted from the migration chain; undo that in the database, or record it with 'exodb db baseline -m MESSAGE'"
	expect_out '^drift index ix_users_email on users: in the chain, not in the database$'
}

t_edited_applied_file_stops_everything() {
	chain
	x db upgrade
	echo "-- a change" >>migrations/versions/29990101000003_b.sql
	rev 29990101000005 29990101000004 "CREATE TABLE d (x);" "DROP TABLE d;" d
	for c in "db upgrade" "db downgrade" "db migrate -m x" \
	    "db upgrade --sql" "db downgrade --sql"; do
		# shellcheck disable=SC2086 # $c is a command and its arguments
		bad 1 'migrations/versions/29990101000003_b.sql: changed since it was applied .*exodb db repair' $c
	done
	# db check cannot tell, which is exit status 3.
	bad 3 'migrations/versions/29990101000003_b.sql: changed since it was applied .*exodb db repair' db check
	# What only reads reports the edit and goes on.
	snapshot
	x db history; expect_ok
	expect_out '^29990101000002 -> 29990101000003, b \[applied\] \[changed\]$'
	expect_out '^29990101000003 -> 29990101000004, c \[applied\]$'
	expect_err "^warning: migrations/versions/29990101000003_b.sql: changed since it was applied; restore it, or accept the edit with 'exodb db repair'\$"
	x db history -v; expect_ok
	expect_out '^Changed: since it was applied \(SHA-256 now [0-9a-f]{12}, then [0-9a-f]{12}\)$'
	[ "$(out | grep -c '^Changed:')" = 1 ] || fail "more than one revision changed"
	x db current; expect_ok
	[ "$(out)" = 29990101000004 ] || fail "current: $(out)"
	x db status; expect_ok
	expect_out '^changed:   29990101000003$'
	x db show 29990101000003; expect_ok
	expect_out '^-- a change$'
	x db heads; expect_ok
	expect_unchanged
	# The current revision itself edited.
	echo "-- another change" >>migrations/versions/29990101000004_c.sql
	x db current; expect_ok
	[ "$(out)" = "29990101000004 [changed]" ] || fail "current: $(out)"
	x db repair; expect_ok
	expect_err '^accepted the edit of migrations/versions/29990101000003_b.sql \(checksum was [0-9a-f]{12}\)$'
	[ "$(q instance/dev.db "SELECT checksum FROM exodb_revisions WHERE id = '29990101000003'")" = \
	    "$(sha256sum migrations/versions/29990101000003_b.sql | cut -d ' ' -f 1)" ] || fail "checksum not updated"
	x db repair; expect_ok; expect_err 'nothing to repair'
	x db upgrade; expect_ok
	[ "$(tables)" = "a b c d" ] || fail "$(tables)"
}

t_missing_applied_file_stops_everything() {
	chain
	x db upgrade
	rm migrations/versions/29990101000004_c.sql
	for c in "db upgrade" "db downgrade"; do
		# shellcheck disable=SC2086 # $c is a command and its arguments
		bad 1 'migrations/versions/29990101000004_\*.sql: revision 29990101000004 is applied but its file is missing' $c
	done
	bad 3 'migrations/versions/29990101000004_\*.sql: revision 29990101000004 is applied but its file is missing' db check
	snapshot
	x db history; expect_ok
	out | tail -n 1 | grep -qx '29990101000004 [(]file missing[)] \[applied\]' || fail "history: $(out)"
	expect_err '^warning: revision 29990101000004 is applied but its file is missing$'
	x db current; expect_ok
	expect_out '^29990101000004 [(]file missing[)]$'
	expect_unchanged
	bad 1 'restore it, or forget it with --forget-missing' db repair
	x db repair --forget-missing; expect_ok
	expect_err '^forgot revision 29990101000004'
	# The table c stays, which the chain no longer builds: drift. The
	# database is at the head of what is left.
	x db check; expect_status 1
	expect_out '^drift table c: in the database, not in the chain$'
	x db current; expect_out '^29990101000003 \(head\)$'
}

t_bad_cycle() {
	chain
	rev 29990101000007 29990101000008 "SELECT 1;" "SELECT 1;" p
	rev 29990101000008 29990101000007 "SELECT 1;" "SELECT 1;" q
	bad 1 'revision graph has a cycle: migrations/versions/29990101000007_p.sql, migrations/versions/29990101000008_q.sql' db upgrade
	bad 1 'cycle' db history
}

t_bad_unknown_parent() {
	chain
	rev 29990101000007 29991231000000 "SELECT 1;" "SELECT 1;" p
	bad 1 'migrations/versions/29990101000007_p.sql: revises unknown revision 29991231000000' db upgrade
}

run_tests
