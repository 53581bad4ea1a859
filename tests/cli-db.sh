# End-to-end tests of the seed workflow: db init, db migrate, db upgrade,
# db current and db history, and every bad input they must refuse cleanly.
. "$(dirname "$0")/lib.sh"

head_id() {
	ls migrations/versions | sed -n 's/^\([0-9]\{14\}\)_.*/\1/p' | sort | tail -n 1
}

t_seed_flow() {
	x db init; expect_ok
	[ -d migrations/versions ] || fail "no versions folder"
	[ -f migrations/README ] || fail "no README"
	[ "$(stat -c %a migrations)" = 700 ] || fail "migrations is not 0700"
	x db migrate -m "Initial user model"; expect_ok
	expect_err 'detected create table users'
	f=$(ls migrations/versions)
	echo "$f" | grep -Eq '^[0-9]{14}_initial_user_model\.sql$' || fail "file name $f"
	[ "$(out)" = "migrations/versions/$f" ] || fail "stdout is not the new path"
	[ "$(stat -c %a "migrations/versions/$f")" = 600 ] || fail "revision is not 0600"
	[ ! -e instance ] || fail "migrate created instance/"
	x db upgrade; expect_ok
	expect_err "^applied ${f%%_*} Initial user model"
	[ "$(stat -c %a instance)" = 700 ] || fail "instance is not 0700"
	[ "$(stat -c %a instance/dev.db)" = 600 ] || fail "dev.db is not 0600"
	# The table, column by column: cid|name|type|notnull|dflt|pk|hidden
	[ "$(q instance/dev.db "SELECT group_concat(cid || '|' || name || '|' || type || '|' || \"notnull\" || '|' || coalesce(dflt_value, 'NULL') || '|' || pk || '|' || hidden, ';') FROM pragma_table_xinfo('users')")" = \
	    "0|id|INTEGER|1|NULL|1|0;1|username|VARCHAR(64)|1|NULL|0|0;2|email|VARCHAR(120)|1|NULL|0|0;3|password_hash|VARCHAR(256)|1|NULL|0|0;4|role|VARCHAR(20)|1|'user'|0|0;5|is_approved|BOOLEAN|1|0|0|0" ] ||
	    fail "users columns differ: $(q instance/dev.db "SELECT * FROM pragma_table_xinfo('users')")"
	[ "$(q instance/dev.db "SELECT group_concat(name || '|' || \"unique\" || '|' || origin || '|' || partial, ';') FROM (SELECT * FROM pragma_index_list('users') ORDER BY name)")" = \
	    "ix_users_email|1|c|0;ix_users_username|1|c|0" ] || fail "users indexes differ"
	for ix in username email; do
		[ "$(q instance/dev.db "SELECT name || '|' || coll || '|' || \"desc\" FROM pragma_index_xinfo('ix_users_$ix') WHERE key")" = "$ix|NOCASE|0" ] ||
		    fail "ix_users_$ix is not on $ix COLLATE NOCASE"
	done
	# The constraints hold: defaults, CHECKs, NOCASE uniqueness.
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('alice', 'a@x.org', 'h')"
	[ "$(q instance/dev.db "SELECT role || '|' || is_approved FROM users")" = "user|0" ] || fail "defaults"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash, role) VALUES ('bob', 'b@x.org', 'h', 'root')" 2>/dev/null || fail "role CHECK"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash, is_approved) VALUES ('bob', 'b@x.org', 'h', 2)" 2>/dev/null || fail "is_approved CHECK"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('ALICE', 'c@x.org', 'h')" 2>/dev/null || fail "username NOCASE unique"
	! q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('carol', 'A@X.ORG', 'h')" 2>/dev/null || fail "email NOCASE unique"
	! q instance/dev.db "INSERT INTO users (username, password_hash) VALUES ('dave', 'h')" 2>/dev/null || fail "email NOT NULL"
	# The history table records the revision with the file's SHA-256.
	[ "$(q instance/dev.db "SELECT id || '|' || checksum FROM exodb_revisions")" = \
	    "${f%%_*}|$(sha256sum "migrations/versions/$f" | cut -d ' ' -f 1)" ] || fail "history row"
	x db current; expect_ok
	[ "$(out)" = "${f%%_*} (head)" ] || fail "current: $(out)"
	x db history; expect_ok
	[ "$(out)" = "<base> -> ${f%%_*} (head), Initial user model [applied]" ] || fail "history: $(out)"
	# A second migrate finds nothing and writes nothing.
	snapshot
	x db migrate -m "again"; expect_ok
	expect_err '^no changes in schema detected$'
	[ -z "$(out)" ] || fail "stdout on no change"
	expect_unchanged
	x db upgrade; expect_ok
	expect_err '^database is at head'
	expect_unchanged
}

t_revision_file_format() {
	x db init
	x db migrate -m "Initial user model"; expect_ok
	f=$(out)
	head -n 6 "$f" >"$T/h"
	id=$(basename "$f" | cut -c 1-14)
	printf -- '-- exodb revision\n-- id: %s\n-- revises: none\n-- message: Initial user model\n' "$id" | cmp -s - <(head -n 4 "$T/h") ||
	    fail "header: $(cat "$T/h")"
	grep -Eq '^-- created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$f" || fail "created"
	# SQLite's pair, then PostgreSQL's, in that order.
	[ "$(grep '^-- +' "$f" | tr '\n' '|')" = "-- +upgrade|-- +downgrade|-- +upgrade postgresql|-- +downgrade postgresql|" ] ||
	    fail "sections: $(grep '^-- +' "$f")"
	grep -q '^DROP TABLE users;$' "$f" || fail "downgrade drops users"
	# The upgrade creates the model as src/model.sql writes it (its CREATE
	# statements, without the comments before them).
	sed -n '/^-- +upgrade$/,/^-- +downgrade$/p' "$f" |
	    sed -n '/^CREATE TABLE users/,/^CREATE UNIQUE INDEX ix_users_email/p' >"$T/ddl"
	sed -n '/^CREATE /,$p' "$TOP/src/model.sql" >"$T/want"
	diff "$T/want" "$T/ddl" || fail "DDL differs from src/model.sql"
	# The header names the model it was made from.
	x db model; expect_ok
	fp=$(sed -n 's/^model \([0-9a-f]\{64\}\) .*/\1/p' "$T/.err")
	[ -n "$fp" ] || fail "db model gave no fingerprint: $(cat "$T/.err")"
	grep -qx -- "-- model: $fp" "$f" || fail "header lacks '-- model: $fp'"
}

t_second_revision_revises_head() {
	seed
	q instance/dev.db "DROP INDEX ix_users_email"
	x db baseline -m "Email index dropped"; expect_ok
	first=$(head_id)
	x db migrate -m "Restore email index"; expect_ok
	f=$(out)
	grep -q "^-- revises: $first\$" "$f" || fail "revises"
	grep -q '^CREATE UNIQUE INDEX ix_users_email ON users (email);$' "$f" || fail "create index"
	grep -q '^DROP INDEX ix_users_email;$' "$f" || fail "downgrade drops index"
	[ "$(basename "$f" | cut -c 1-14)" \> "$first" ] || fail "id not after head"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 3 ] || fail "three applied"
	x db migrate -m nothing; expect_ok; expect_err 'no changes'
}

t_migrate_extra_index() {
	seed
	q instance/dev.db "CREATE INDEX ix_extra ON users (role)"
	x db baseline -m "extra index"; expect_ok
	x db migrate -m "drop extra index"; expect_ok
	f=$(out)
	grep -q '^DROP INDEX ix_extra;$' "$f" || fail "drops extra index"
	grep -q '^CREATE INDEX ix_extra ON users (role);$' "$f" || fail "downgrade recreates it"
	x db upgrade; expect_ok
	x db migrate -m again; expect_ok; expect_err 'no changes'
}

t_migrate_rebuild_when_add_column_cannot() {
	seed
	# NOT NULL without a default: ALTER TABLE ADD COLUMN cannot, so the
	# table is rebuilt, and the downgrade rebuilds it back, extra index too.
	q instance/dev.db "CREATE INDEX ix_extra ON users (role); ALTER TABLE users DROP COLUMN password_hash"
	x db baseline -m drift; expect_ok
	x db migrate -m "fix drift"; expect_ok
	f=$(out)
	grep -q '^-- rebuild table users: add column users.password_hash; drop index ix_extra on users$' "$f" || fail "rebuild"
	grep -q '^CREATE INDEX ix_extra ON users (role);$' "$f" || fail "downgrade recreates the index"
	x db upgrade; expect_ok
	x db migrate -m again; expect_ok; expect_err 'no changes'
}

t_migrate_add_column() {
	# A column the model has can come back with ADD COLUMN; build a users
	# table without is_approved (its NOT NULL has a default).
	cat >m.sql <<'SQL'
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	is_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1))
);
SQL
	x db init
	x --model m.sql db migrate -m first; expect_ok
	x db upgrade; expect_ok
	q instance/dev.db "ALTER TABLE users DROP COLUMN is_approved"
	x db baseline -m "drop is_approved"; expect_ok
	x --model m.sql db migrate -m "add is_approved"; expect_ok
	f=$(out)
	grep -q "^ALTER TABLE users ADD COLUMN is_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1));\$" "$f" || fail "add column"
	grep -q '^ALTER TABLE users DROP COLUMN is_approved;$' "$f" || fail "downgrade drops it"
	x db upgrade; expect_ok
	x --model m.sql db migrate -m again; expect_ok; expect_err 'no changes'
}

# ADD COLUMN would lose what only a table's CREATE text says (the app's
# ON CONFLICT REPLACE): such a table is rebuilt from the model's text.
t_migrate_add_column_keeps_on_conflict() {
	seed
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('alice', 'a@example.org', 'h')"
	q instance/dev.db "ALTER TABLE users DROP COLUMN is_approved"
	x db baseline -m "drop is_approved"; expect_ok
	x db migrate -m "add is_approved"; expect_ok
	f=$(out)
	grep -q "^-- rebuild table users: users has constraints ALTER TABLE cannot keep (such as ON CONFLICT); add column users.is_approved\$" "$f" || fail "rebuild"
	grep -q '^	is_approved BOOLEAN NOT NULL ON CONFLICT REPLACE DEFAULT 0$' "$f" || fail "ON CONFLICT lost"
	x db upgrade; expect_ok
	x db migrate -m again; expect_ok; expect_err 'no changes'
	q instance/dev.db "INSERT INTO users (username, email, password_hash, role, is_approved) VALUES ('bob', 'b@example.org', 'h', NULL, NULL)"
	[ "$(q instance/dev.db "SELECT group_concat(username || role || is_approved) FROM users")" = "aliceuser0,bobuser0" ] || fail "rows or defaults"
}

t_migrate_missing_db_not_created() {
	x db init
	x db migrate -m "Initial user model"; expect_ok
	[ ! -e instance ] || fail "instance/ created"
}

t_read_commands_never_create() {
	x db init
	bad 1 "^exodb: db current: instance/dev.db: no such database; 'exodb db upgrade' creates it$" db current
	bad 1 "^exodb: db history: instance/dev.db: no such database; 'exodb db upgrade' creates it$" db history
	[ ! -e instance ] || fail "instance/ created"
	bad 1 "^exodb: db current: other.db: no such database; 'exodb db upgrade' creates it$" -D other.db db current
	[ ! -e other.db ] || fail "other.db created"
}

t_database_option_and_environment() {
	x db init
	x db migrate -m "Initial user model"
	x -D my.db db upgrade; expect_ok
	[ -f my.db ] && [ ! -e instance ] || fail "-D ignored"
	EXODB_DATABASE=env.db run "$EXODB" db upgrade; expect_ok
	[ -f env.db ] || fail "EXODB_DATABASE ignored"
	[ "$(stat -c %a env.db)" = 600 ] || fail "env.db not 0600"
}

t_database_named_like_sqlite_special_names() {
	x db init
	x db migrate -m "Initial user model"
	x -D :memory: db upgrade; expect_ok
	[ "$(q ./:memory: "SELECT count(*) FROM exodb_revisions")" = 1 ] || fail ":memory: is not a file"
	x -D :memory: db current; expect_ok; expect_out '\(head\)'
}

t_directory_option() {
	x -d repo db init; expect_ok
	x -d repo db migrate -m "Initial user model"; expect_ok
	x -d repo db upgrade; expect_ok
	[ -d repo/versions ] && [ ! -e migrations ] || fail "-d ignored"
}

t_help_and_version() {
	x --help; expect_ok
	expect_out '^usage: exodb '
	for c in init migrate upgrade current history; do
		expect_out "exodb db $c"
	done
	x -V; expect_ok; expect_out '^exodb [0-9]+\.[0-9]+\.[0-9]+'
	x db --help; expect_ok; expect_out 'exodb db migrate'
	for c in init migrate upgrade current history; do
		x db $c --help; expect_ok
		expect_out "^usage: exodb db $c"
		x db $c -h; expect_ok
	done
	[ ! -e migrations ] && [ ! -e instance ] || fail "--help touched the disk"
}

t_quiet() {
	x -q db init; expect_ok
	[ ! -s "$T/.err" ] || fail "-q printed notes"
	x -q db migrate -m "Initial user model"; expect_ok
	[ ! -s "$T/.err" ] || fail "-q printed notes"
	expect_out 'initial_user_model'
}

# Of -q and -v, the last one given counts.
t_quiet_and_verbose() {
	x -v -q db init; expect_ok
	[ ! -s "$T/.err" ] || fail "-v -q printed notes"
	rm -r migrations
	x -q -v db init; expect_ok
	expect_err '^created migration repository migrations/$'
	expect_err '^next: exodb db migrate -m MESSAGE$'
}

t_bad_no_arguments() { bad 2 'missing command' ; }
t_bad_unknown_group() { bad 2 "unknown command group 'nope'" nope init; }
t_bad_missing_command() { bad 2 'db: missing command' db; }
t_bad_unknown_command() { bad 2 "db: unknown command 'ini'" db ini; }
t_bad_unknown_global_option() { bad 2 "unknown option '--frobnicate'" --frobnicate db init; }
t_bad_unknown_command_option() { bad 2 "db init: unknown option '--force'" db init --force; }
t_bad_unknown_short_option() { bad 2 "db migrate: unknown option '-z'" db migrate -z; }
# An error stays one line whatever argv holds (found by tests/fuzz/fuzz-cmd.c:
# "db init -<newline>" printed two): a control character is shown as '?', so
# that no escape sequence reaches the terminal either.
t_bad_control_characters_in_argv() {
	bad 2 "^exodb: db init: unknown option '-\?'; see 'exodb db init --help'$" db init -$'\n'
	bad 2 "^exodb: db init: unknown option '--x\?\[31mred\?'; see " db init --$'x\e[31mred\r'
	bad 2 "^exodb: db: unknown command 'ini\?t'; see 'exodb db --help'$" db $'ini\nt'
	bad 2 "^exodb: usage: unknown command group 'd\?b'; see " $'d\x7fb' init
	! grep -q $'\e' "$T/.err" || fail "an escape reached stderr"
}
# Exact option names only: getopt would take any unique abbreviation.
t_bad_abbreviated_options() {
	x db init
	bad 2 "usage: unknown option '--data'" --data x.db db current
	bad 2 "db migrate: unknown option '--mess'" db migrate --mess x
	bad 2 "db upgrade: option '--sql' takes no value" db upgrade --sql=yes
	bad 2 "db upgrade: unknown option '--sq'" db upgrade --sq=yes
	bad 2 "db history: unknown option '--rev'" db history --rev
	bad 2 "db history: unknown option '--rev'" db history --rev=x:y
	bad 2 "db history: option '--rev-range' needs a value" db history --rev-range
	x db migrate -m --looks-like-an-option; expect_ok
}

# A value typed after '=' is never repeated: it could be a password.
t_bad_option_values_are_not_echoed() {
	x db init
	bad 2 "unknown option '--passwd'" db upgrade --passwd=hunter22
	! grep -q hunter22 "$T/.err" || fail "the value was echoed"
	bad 2 "unknown option '--secret'" --secret=hunter22 db upgrade
	! grep -q hunter22 "$T/.err" || fail "the value was echoed"
}

t_bad_option_needs_value() { bad 2 "option '-D' needs a value" -D; }
t_bad_too_many_arguments() { x db init; bad 2 'db current: too many arguments' db current extra; }

t_bad_migrate_without_message() {
	x db init
	bad 2 "db migrate: option '-m' is required" db migrate
}

t_bad_migrate_empty_message() {
	x db init
	bad 2 "db migrate: option '-m' must not be blank" db migrate -m ""
	bad 2 "db migrate: option '-m' must not be blank" db migrate -m "   "
}

t_bad_migrate_before_init() {
	bad 1 "migrations: no migration repository here or in any folder above; run 'exodb db init', or name it with -d DIR \(and the database with -D PATH\)$" db migrate -m x
}

t_bad_upgrade_before_init() {
	bad 1 "run 'exodb db init'" db upgrade
	[ ! -e instance ] || fail "instance/ created"
}

t_bad_init_twice() {
	x db init; expect_ok
	bad 1 'migrations: folder exists and is not empty' db init
}

t_init_in_existing_empty_folder() {
	mkdir migrations
	x db init; expect_ok
	[ -d migrations/versions ] || fail "no versions"
}

t_bad_init_parent_missing() {
	bad 1 'no/such: cannot create folder' -d no/such db init
}

t_bad_migrate_not_at_head() {
	x db init
	x db migrate -m "Initial user model"
	x db upgrade
	rev 29990101000000 "$(head_id)" "CREATE TABLE t (a);" "DROP TABLE t;"
	bad 1 "database is not up to date; run 'exodb db upgrade'" db migrate -m more
}

t_bad_database_is_text_file() {
	seed
	echo "hello, I am not a database" >text.db
	bad 1 'text.db: file is not a database' -D text.db db upgrade
	bad 1 'text.db: file is not a database' -D text.db db current
	bad 1 'text.db: file is not a database' -D text.db db migrate -m x
}

t_bad_database_is_folder() {
	seed
	mkdir folder.db
	bad 1 'folder.db: is a directory' -D folder.db db upgrade
	bad 1 'folder.db: is a directory' -D folder.db db current
}

t_bad_database_is_symlink() {
	seed
	ln -s instance/dev.db link.db
	bad 1 'link.db: is a symbolic link' -D link.db db upgrade
	bad 1 'link.db: is a symbolic link' -D link.db db history
	ln -s nowhere.db dangling.db
	bad 1 'dangling.db: is a symbolic link' -D dangling.db db upgrade
}

t_bad_database_uri() {
	seed
	bad 1 'file:instance/dev.db: URI file names are not accepted' -D file:instance/dev.db db upgrade
	bad 1 'URI file names are not accepted' -D 'file:x.db?mode=memory' db current
	EXODB_DATABASE=file:y.db run "$EXODB" db upgrade
	expect_status 1; expect_one_error 'URI file names'
	[ ! -e file:y.db ] && [ ! -e y.db ] || fail "created a database"
}

t_bad_malformed_header() {
	seed
	printf -- '-- exodb revision\n-- id: 29990101000000\n-- revises %s\n-- message: x\n-- created: x\n\n-- +upgrade\nCREATE TABLE t (a);\n-- +downgrade\nDROP TABLE t;\n' \
	    "$(head_id)" >migrations/versions/29990101000000_bad.sql
	bad 1 'migrations/versions/29990101000000_bad.sql: malformed revision: line 3' db upgrade
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 't'")" = 0 ] || fail "ran"
}

t_bad_header_variants() {
	seed
	h=$(head_id)
	f=migrations/versions/29990101000000_bad.sql
	printf -- '-- not a revision\n' >$f
	bad 1 "$f: malformed revision: first line" db upgrade
	printf -- '-- exodb revision\n-- id: 29990101000001\n-- revises: %s\n-- message: x\n-- created: x\n\n-- +upgrade\n-- +downgrade\n' "$h" >$f
	bad 1 "$f: malformed revision: header id 29990101000001 does not match" db upgrade
	printf -- '-- exodb revision\n-- id: 29990101000000\n-- revises: %s\n-- message: x\n-- created: x\n\n-- +upgrade\nSELECT 1;\n' "$h" >$f
	bad 1 "$f: malformed revision: no '-- \\+downgrade' section" db upgrade
	printf -- '-- exodb revision\n-- id: 29990101000000\n-- message: x\n-- created: x\n\n-- +upgrade\n-- +downgrade\n' >$f
	bad 1 "$f: malformed revision: header lacks 'revises'" db upgrade
	printf -- '-- exodb revision\n-- id: 29990101000000\n-- revises: 12\n-- message: x\n-- created: x\n\n-- +upgrade\n-- +downgrade\n' >$f
	bad 1 "$f: malformed revision: line 3: 'revises' names '12'" db upgrade
	echo 'x' >migrations/versions/notarevision.sql
	rm $f
	bad 1 'notarevision.sql: not a revision file name' db upgrade
}

t_bad_second_statement_invalid() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE TABLE t1 (a);
INSERT INTO t1 VALUES (1);
CREATE TABLE t2 (b;
CREATE TABLE t3 (c);" "DROP TABLE t1;"
	bad 1 'migrations/versions/29990101000000_hand.sql:10: near ";": syntax error' db upgrade
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name IN ('t1', 't2', 't3')")" = 0 ] || fail "not rolled back"
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 1 ] || fail "history row written"
}

t_bad_statement_fails_at_run_time() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE TABLE t1 (a);
INSERT INTO nowhere VALUES (1);" "DROP TABLE t1;"
	bad 1 '_hand.sql:9: no such table: nowhere' db upgrade
	[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name = 't1'")" = 0 ] || fail "not rolled back"
}

t_bad_transaction_statements() {
	seed
	h=$(head_id)
	# SQLite's authorizer names what it refuses: END is COMMIT.
	for stmt in "BEGIN;" "COMMIT;" "begin transaction;" "END;" "ROLLBACK;" "SAVEPOINT s;" "RELEASE s;" "ROLLBACK TO s;" "ATTACH 'x.db' AS x;" "DETACH main;" "VACUUM;"; do
		rm -f migrations/versions/2999*
		rev 29990101000000 "$h" "CREATE TABLE t1 (a);
$stmt
CREATE TABLE t2 (a);" "SELECT 1;"
		case $stmt in
		END*) why="COMMIT is not allowed in a revision: exodb runs each revision in its own transaction" ;;
		"ROLLBACK TO"*) why="ROLLBACK TO is not allowed in a revision" ;;
		VACUUM*) why="cannot VACUUM from within a transaction" ;;
		*) why="$(echo "$stmt" | sed 's/[ ;].*//' | tr "[:lower:]" "[:upper:]") is not allowed in a revision" ;;
		esac
		bad 1 "_hand.sql:9: $why" db upgrade
		[ "$(q instance/dev.db "SELECT count(*) FROM sqlite_schema WHERE name LIKE 't_'")" = 0 ] || fail "$stmt: ran"
		[ ! -e x.db ] || fail "attached"
	done
}

t_bad_revision_touches_history() {
	seed
	h=$(head_id)
	for stmt in "DELETE FROM exodb_revisions;" "INSERT INTO main.\"exodb_revisions\" VALUES ('1', '2', '3');" "UPDATE [exodb_revisions] SET id = 1;" "DROP TABLE exodb_revisions;" "ALTER TABLE exodb_revisions RENAME TO x;" "CREATE INDEX ix ON exodb_revisions (checksum);" "CREATE TRIGGER tr AFTER DELETE ON exodb_revisions BEGIN SELECT 1; END;"; do
		rm -f migrations/versions/2999*
		rev 29990101000000 "$h" "CREATE TABLE t1 (a);
$stmt" "SELECT 1;"
		bad 1 '_hand.sql:9: revisions must not touch the history table exodb_revisions$' db upgrade
	done
	# A string that happens to hold the name is no mention.
	rev 29990101000000 "$h" "CREATE TABLE t1 (a DEFAULT 'exodb_revisions');" "DROP TABLE t1;"
	x db upgrade; expect_ok
}

# Authorizers see a trigger's body only when it runs: what a revision creates
# is looked at before it commits.
t_bad_revision_trigger_writes_history() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE TABLE t1 (a);
CREATE TRIGGER t1_log AFTER INSERT ON t1 BEGIN
	DELETE FROM exodb_revisions;
END;" "DROP TABLE t1;"
	bad 1 '_hand.sql:9: revisions must not touch the history table exodb_revisions: trigger t1_log names it$' db upgrade
}

# A revision may not turn durability off: refused before anything runs, with
# the pragma's name, and the database is as it was.
t_bad_revision_pragmas() {
	seed
	h=$(head_id)
	for stmt in "PRAGMA journal_mode = OFF;" "PRAGMA journal_mode = DELETE;" "pragma main.synchronous = 0;" "PRAGMA writable_schema = ON;" "PRAGMA foreign_keys = ON;" "PRAGMA locking_mode = EXCLUSIVE;" "SELECT * FROM pragma_journal_mode;"; do
		rm -f migrations/versions/2999*
		rev 29990101000000 "$h" "CREATE TABLE t1 (a);
INSERT INTO t1 VALUES (1);
$stmt
INSERT INTO t1 VALUES (2);" "DROP TABLE t1;"
		name=$(echo "$stmt" | sed -E 's/^(pragma|PRAGMA) (main\.)?([a-z_]+).*/\3/; s/.*pragma_([a-z_]+).*/\1/')
		bad 1 "_hand.sql:10: PRAGMA $name is not allowed in a revision: it changes the connection or its durability" db upgrade
		[ "$(q instance/dev.db "PRAGMA journal_mode")" = delete ] || fail "$stmt: journal mode changed"
	done
	# Queries and a short list of harmless settings are allowed.
	rm -f migrations/versions/2999*
	rev 29990101000000 "$h" "PRAGMA legacy_alter_table = ON;
PRAGMA table_info(users);
PRAGMA foreign_key_check;
PRAGMA user_version = 7;
CREATE TABLE t1 (a);" "DROP TABLE t1;"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "PRAGMA user_version")" = 7 ] || fail "user_version"
}

# Before the first of several revisions commits, the plan runs on a copy of the
# schema: an error in the third is reported before the first is applied.
t_bad_third_revision_checked_first() {
	seed
	h=$(head_id)
	rev 29990101000001 "$h" "CREATE TABLE t1 (a);" "DROP TABLE t1;" one
	rev 29990101000002 29990101000001 "CREATE TABLE t2 (a);" "DROP TABLE t2;" two
	rev 29990101000003 29990101000002 "CREATE TABLE t3 (a);
INSERT INTO t3 SELECT a FROM t1;
INSERT INTO t3 SELECT b FROM t2;" "DROP TABLE t3;" three
	bad 1 '^exodb: db upgrade: migrations/versions/29990101000003_three.sql:10: no such column: b$' db upgrade
	rm migrations/versions/29990101000003_three.sql
	rev 29990101000003 29990101000002 "CREATE TABLE t3 (a);
SELEC 1;" "DROP TABLE t3;" three
	bad 1 '^exodb: db upgrade: migrations/versions/29990101000003_three.sql:9: near "SELEC": syntax error$' db upgrade
	rm migrations/versions/29990101000003_three.sql
	rev 29990101000003 29990101000002 "CREATE TABLE t3 (a);
INSERT INTO nowhere VALUES (1);" "DROP TABLE t3;" three
	bad 1 '^exodb: db upgrade: migrations/versions/29990101000003_three.sql:9: no such table: nowhere$' db upgrade
	# What the first revisions make is there for the third, on the copy too.
	rm migrations/versions/29990101000003_three.sql
	rev 29990101000003 29990101000002 "CREATE TABLE t3 (a);
INSERT INTO t3 SELECT a FROM t1;" "DROP TABLE t3;" three
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 4 ] || fail "not applied"
}

# --single-transaction: all of the plan or none of it. The second revision
# fails on the database's rows, which the check on the schema's copy lacks.
t_single_transaction() {
	seed
	h=$(head_id)
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@a', 'h')"
	rev 29990101000001 "$h" "CREATE TABLE t1 (a);
INSERT INTO t1 VALUES (1);" "DROP TABLE t1;" one
	rev 29990101000002 29990101000001 "CREATE TABLE t2 (a UNIQUE);
INSERT INTO t2 SELECT 1 FROM users;
INSERT INTO t2 SELECT 1 FROM users;" "DROP TABLE t2;" two
	bad 1 '_two.sql:10: UNIQUE constraint failed: t2.a$' db upgrade --single-transaction
	[ ! -e instance/dev.db-journal ] || fail "hot journal left"
	# The default applies the first and stops at the second.
	x db upgrade; expect_status 1
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 2 ] || fail "first not applied alone"
	x db downgrade --no-backup --yes; expect_ok
	rm migrations/versions/29990101000002_two.sql
	rev 29990101000002 29990101000001 "CREATE TABLE t2 (a UNIQUE);
INSERT INTO t2 SELECT a FROM t1;" "DROP TABLE t2;" two
	x db upgrade --sql --single-transaction; expect_ok
	[ "$(grep -c '^BEGIN IMMEDIATE;' "$T/.out")" = 1 ] || fail "script: not one transaction"
	[ "$(grep -c '^COMMIT;' "$T/.out")" = 1 ] || fail "script: not one commit"
	cp instance/dev.db scripted.db
	sqlite3 scripted.db <"$T/.out" || fail "script failed"
	x db upgrade --single-transaction; expect_ok
	expect_err '^applied 29990101000001 one$'
	expect_err '^applied 29990101000002 two$'
	[ "$(q instance/dev.db "SELECT group_concat(id) FROM exodb_revisions WHERE id LIKE '2999%'")" = 29990101000001,29990101000002 ] || fail "history"
	[ "$(q scripted.db "SELECT group_concat(id) FROM exodb_revisions WHERE id LIKE '2999%'")" = 29990101000001,29990101000002 ] || fail "scripted history"
}

# A write that fails (here the file size limit, as a full disk would) leaves
# the database as it was and no hot journal beside it: after the failed
# rollback, a read plays the journal back before exodb exits.
t_failed_write_leaves_no_hot_journal() {
	seed
	q instance/dev.db "CREATE TABLE big (v); WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000) INSERT INTO big SELECT printf('%.200c', 'x') FROM c"
	rev 29990101000000 "$(head_id)" "UPDATE big SET v = v || v;
CREATE TABLE t2 AS SELECT * FROM big;
CREATE TABLE t3 AS SELECT * FROM big;" "DROP TABLE t2; DROP TABLE t3;"
	[ "$(stat -c %s instance/dev.db)" -lt 900000 ] || fail "the database is too big for the limit"
	snapshot
	(trap '' XFSZ; ulimit -f 1000; "$EXODB" db upgrade >"$T/.out" 2>"$T/.err" </dev/null)
	rc=$?
	expect_status 1
	expect_one_error '_hand.sql:[0-9]+: disk I/O error'
	[ ! -e instance/dev.db-journal ] || fail "hot journal left"
	expect_unchanged
	[ "$(q instance/dev.db "PRAGMA integrity_check")" = ok ] || fail "integrity"
}

# A failure after writes leaves no journal beside the database.
t_failed_revision_leaves_no_journal() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE TABLE t1 (a NOT NULL);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20000)
	INSERT INTO t1 SELECT printf('%.100c', 'x') FROM c;
INSERT INTO t1 VALUES (NULL);" "DROP TABLE t1;"
	bad 1 '_hand.sql:11: NOT NULL constraint failed: t1.a$' db upgrade
	[ ! -e instance/dev.db-journal ] || fail "journal left"
}

t_trigger_bodies_split_correctly() {
	seed
	rev 29990101000000 "$(head_id)" "CREATE TABLE log (msg TEXT);
CREATE TRIGGER users_log AFTER INSERT ON users BEGIN
	INSERT INTO log VALUES ('a;b');
	INSERT INTO log VALUES (new.username);
END;
-- a comment; with a semicolon
/* and another; */
INSERT INTO log VALUES ('it''s; fine');" "DROP TABLE log;"
	x db upgrade; expect_ok
	[ "$(q instance/dev.db "SELECT msg FROM log")" = "it's; fine" ] || fail "split wrong"
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('z', 'z@z', 'h')"
	[ "$(q instance/dev.db "SELECT count(*) FROM log")" = 3 ] || fail "trigger body"
}

t_bad_read_only_instance() {
	x db init
	x db migrate -m "Initial user model"
	mkdir instance
	chmod 500 instance
	cp "$EXODB" ./exodb-copy
	chmod -R a+rX .
	chmod 711 "$root"
	if [ "$(id -u)" -eq 0 ]; then
		# root ignores modes: run as nobody in a folder nobody owns.
		chown -R 65534:65534 .
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	else
		as=()
	fi
	snapshot
	run "${as[@]}" ./exodb-copy db upgrade
	expect_status 1
	expect_one_error 'instance/dev.db: cannot create database: Permission denied'
	expect_unchanged
	# An existing database in a read-only folder: SQLite could not journal.
	chmod 700 instance
	run "${as[@]}" ./exodb-copy db upgrade
	expect_ok
	rev 29990101000000 "$(head_id)" "CREATE TABLE t (a);" "DROP TABLE t;"
	chmod -R a+rX . ; [ "$(id -u)" -eq 0 ] && chown -R 65534:65534 .
	chmod 500 instance
	snapshot
	run "${as[@]}" ./exodb-copy db upgrade
	expect_status 1
	expect_one_error "instance/dev.db: cannot write in folder 'instance'"
	expect_unchanged
}

t_bad_duplicate_ids() {
	seed
	h=$(head_id)
	rev 29990101000000 "$h" "CREATE TABLE a (x);" "DROP TABLE a;" one
	rev 29990101000000 "$h" "CREATE TABLE b (x);" "DROP TABLE b;" two
	bad 1 'duplicate revision id 29990101000000: .*29990101000000_one.sql and .*29990101000000_two.sql' db upgrade
	bad 1 'duplicate revision id' db migrate -m x
	bad 1 'duplicate revision id' db current
}

t_slug_is_sanitised() {
	x db init
	x db migrate -m '../../etc/passwd'; expect_ok
	f=$(out)
	echo "$f" | grep -Eq '^migrations/versions/[0-9]{14}_etc_passwd\.sql$' || fail "slug: $f"
	rm "$f"
	x db migrate -m "$(printf 'line one\nline two\r\n-- id: 1\t')"; expect_ok
	f=$(out)
	echo "$f" | grep -Eq '^migrations/versions/[0-9]{14}_line_one_line_two_id_1\.sql$' || fail "slug: $f"
	# The message stays on its one header line.
	[ "$(grep -c '^-- id:' "$f")" = 1 ] || fail "header injected"
	grep -q '^-- message: line one line two  -- id: 1$' "$f" || fail "message line: $(grep message "$f")"
	rm "$f"
	x db migrate -m '!!! ???'; expect_ok
	out | grep -Eq '_revision\.sql$' || fail "empty slug"
	rm "$(out)"
	# A message is one header line: at most 200 bytes, refused beyond.
	long=$(head -c 10240 /dev/zero | tr '\0' 'a')
	bad 2 'db migrate: the message is 10240 bytes; at most 200' db migrate -m "$long"
	bad 2 'db revision: the message is 201 bytes' db revision -m "$(head -c 201 /dev/zero | tr '\0' 'a')"
	bad 2 'db merge: the message is 202 bytes' db merge -m "$(printf '%0200d' 0)é" heads
	long=$(head -c 200 /dev/zero | tr '\0' 'a')
	x db migrate -m "$long"; expect_ok
	f=$(out)
	grep -q "^-- message: $long\$" "$f" || fail "message not whole: $(grep message "$f")"
	[ "$(basename "$f")" = "$(basename "$f" | cut -c 1-14)_$(printf 'a%.0s' $(seq 40)).sql" ] || fail "long slug: $f"
	[ "$(ls migrations/versions | wc -l)" = 1 ] || fail "files outside versions?"
	[ "$(find . -name '*.sql' | wc -l)" = 1 ] || fail "a file landed elsewhere"
	x db upgrade; expect_ok
}

t_ids_do_not_collide() {
	seed
	# Each drift is recorded, then undone: four revisions in a second.
	q instance/dev.db "DROP INDEX ix_users_email"
	x db baseline -m a; expect_ok
	x db migrate -m b; expect_ok
	x db upgrade
	q instance/dev.db "DROP INDEX ix_users_username"
	x db baseline -m c; expect_ok
	x db migrate -m d; expect_ok
	[ "$(ls migrations/versions | cut -c 1-14 | sort -u | wc -l)" = 5 ] || fail "ids collide"
	x db upgrade; expect_ok
	x db history; expect_ok
	[ "$(out | wc -l)" = 5 ] || fail "history"
}

t_unknown_table_left_alone() {
	seed
	q instance/dev.db "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep')"
	x db baseline -m notes; expect_ok
	x db migrate -m nothing; expect_ok
	expect_err 'keeping table notes, which is not in the model'
	expect_err 'no changes in schema detected'
}

# One rule for the repository and its versions folder: a link to either is
# refused, for reading and for writing.
t_symlinked_versions_refused() {
	mkdir -p migrations elsewhere
	ln -s ../elsewhere migrations/versions
	bad 1 'migrations/versions: is a symbolic link' db migrate -m x
	bad 1 'migrations/versions: is a symbolic link' db revision -m x
	bad 1 'migrations/versions: is a symbolic link' db upgrade
	[ -z "$(ls elsewhere)" ] || fail "wrote through the link"
}

t_symlinked_repository_refused() {
	mkdir -p elsewhere/versions
	ln -s elsewhere migrations
	bad 1 "migrations: is a symbolic link; the migration repository must be a plain folder" db migrate -m x
	bad 1 'migrations: is a symbolic link' db revision -m x
	bad 1 'migrations: is a symbolic link' db upgrade
	bad 1 'migrations: is a symbolic link' db history
	rm -r elsewhere/versions
	bad 1 'migrations: is a symbolic link' db init
	[ -z "$(ls elsewhere)" ] || fail "wrote through the link"
}

# Anyone who can write the database or its folder could make themselves
# admin: both are refused, with the chmod that fixes it.
t_world_writable_refused() {
	seed
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('bob', 'bob@example.org', 'h')"
	chmod 0777 instance
	bad 1 "user approve: instance: folder is writable by anyone; run 'chmod o-w instance'" user approve bob
	bad 1 "db current: instance: folder is writable by anyone" db current
	bad 1 "db upgrade: instance: folder is writable by anyone" db upgrade
	chmod 0700 instance
	chmod 0666 instance/dev.db
	bad 1 "user approve: instance/dev.db: database is writable by anyone; run 'chmod o-w instance/dev.db'" user approve bob
	bad 1 "db current: instance/dev.db: database is writable by anyone" db current
	chmod o-w instance/dev.db
	x user approve bob; expect_ok
	[ "$(q instance/dev.db "SELECT is_approved FROM users")" = 1 ] || fail "not approved"
	# A new database in a folder anyone may write to is not made.
	mkdir open; chmod 0777 open
	bad 1 "db upgrade: open: folder is writable by anyone" -D open/dev.db db upgrade
}

run_tests
