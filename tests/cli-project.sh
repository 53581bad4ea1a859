# How exodb finds what to work on, and waits for it: a missing database is
# not an empty one, the project is found upward as git finds its work tree,
# global options may follow the command, targets default to head, and a
# locked database is waited for (--timeout, EXODB_TIMEOUT), on a terminal
# with a note. The terminal is a tmux pane; the lock is held by python3's
# sqlite3 module, which says when it holds it.
. "$(dirname "$0")/lib.sh"

NO_DB="no such database; 'exodb db upgrade' creates it$"

# A repository with the initial revision, and no database.
repo_only() {
	x db init && expect_ok
	x db migrate -m "Initial user model" && expect_ok
	[ ! -e instance ] || fail "db migrate made instance/"
}

t_bad_missing_database_read_commands() {
	repo_only
	for c in "db current" "db history" "db check" "db downgrade" \
	    "db repair" "user list" "user show alice" "user approve alice" \
	    "user set-role alice admin" "user delete alice --yes" \
	    "user create alice --email a@example.org --password-stdin"; do
		# shellcheck disable=SC2086
		set -- $c
		# db check answers a question: not telling is its exit 3.
		st=1
		[ "$c" != "db check" ] || st=3
		# shellcheck disable=SC2086
		bad $st "^exodb: $1 $2: instance/dev.db: $NO_DB" $c
	done
	bad 1 "^exodb: db current: instance/dev.db: $NO_DB" -q db current
	bad 1 "^exodb: db downgrade: instance/dev.db: $NO_DB" db downgrade --sql
	[ ! -e instance ] || fail "instance/ was made"
}

t_bad_mistyped_database() {
	seed
	bad 1 "^exodb: db current: instanse/dev.db: $NO_DB" -D instanse/dev.db db current
	bad 3 "^exodb: db check: instanse/dev.db: $NO_DB" -D instanse/dev.db db check
	EXODB_DATABASE=instanse/dev.db run "$EXODB" db history
	expect_status 1
	expect_one_error "^exodb: db history: instanse/dev.db: $NO_DB"
	[ ! -e instanse ] || fail "instanse/ was made"
}

# What may start from no database: upgrade and stamp create it; migrate,
# edit and upgrade --sql read it as empty.
t_missing_database_where_it_may_be() {
	repo_only
	x db upgrade --sql; expect_ok; expect_out '^CREATE TABLE users'
	[ ! -e instance ] || fail "upgrade --sql made instance/"
	# shellcheck disable=SC2016
	printf '#!/bin/sh\necho "$1" >edited\n' >ed.sh; chmod +x ed.sh
	VISUAL="$T/ed.sh" run "$EXODB" db edit; expect_ok
	grep -q '_initial_user_model\.sql$' edited || fail "edit opened: $(cat edited)"
	[ ! -e instance ] || fail "db edit made instance/"
	x db stamp; expect_ok; expect_err '^stamped head: 1 revision recorded'
	[ -f instance/dev.db ] || fail "db stamp made no database"
	x db current; expect_ok; expect_out '\(head\)'
}

t_project_found_from_a_subdirectory() {
	seed
	mkdir -p app/templates
	cd app/templates || fail "cd"
	x db current; expect_ok; expect_out '^[0-9]{14} \(head\)$'
	x -v db current; expect_ok
	expect_err "^project $T: repository \.\./\.\./migrations, database \.\./\.\./instance/dev\.db$"
	x db upgrade; expect_ok; expect_err 'nothing to apply'
	x user list; expect_ok
	x db migrate -m again; expect_ok; expect_err 'no changes'
	[ ! -e migrations ] && [ ! -e instance ] || fail "a second project was made"
	ls ../../migrations/versions/*.sql >/dev/null || fail "the project lost its revisions"
}

# -d DIR, relative, is looked for upward the same way.
t_project_with_directory_option() {
	mkdir db
	x -d db/mig db init; expect_ok
	x -d db/mig db migrate -m "Initial user model"; expect_ok
	x -d db/mig db upgrade; expect_ok
	mkdir -p src/deep
	cd src/deep || fail "cd"
	x -d db/mig db current; expect_ok; expect_out '\(head\)'
	x -v db current -d db/mig; expect_ok
	expect_err "^project $T: repository \.\./\.\./db/mig, database \.\./\.\./instance/dev\.db$"
	# An absolute -d is used as given; its folder is the project.
	cd / || fail "cd /"
	x -v -d "$T/db/mig" db heads; expect_ok; expect_out '\(head\)'
	expect_err "^project $T/db: repository $T/db/mig, database $T/db/instance/dev\.db$"
	x -d "$T/db/mig" -D "$T/instance/dev.db" db current; expect_ok; expect_out '\(head\)'
}

# -D and EXODB_DATABASE are paths as typed, from the current folder.
t_database_path_is_as_typed() {
	seed
	mkdir sub
	cd sub || fail "cd"
	x -D ../instance/dev.db db current; expect_ok; expect_out '\(head\)'
	bad 1 "^exodb: db current: instance/dev.db: $NO_DB" -D instance/dev.db db current
	EXODB_DATABASE=../instance/dev.db run "$EXODB" db current
	expect_ok; expect_out '\(head\)'
}

# db init makes the repository here, whatever is above.
t_init_makes_the_repository_here() {
	seed
	mkdir other
	cd other || fail "cd"
	x db init; expect_ok
	[ -d migrations/versions ] || fail "no repository here"
	bad 1 "^exodb: db current: instance/dev.db: $NO_DB" db current
}

t_bad_no_project() {
	mkdir -p a/b
	cd a/b || fail "cd"
	bad 1 "^exodb: db current: migrations: no migration repository here or in any folder above; run 'exodb db init', or name it with -d DIR \(and the database with -D PATH\)$" db current
	bad 1 "^exodb: db upgrade: nope: no migration repository here or in any folder above" -d nope db upgrade
	bad 1 "^exodb: user list: migrations: no migration repository here" user list
	bad 1 "/nope: no migration repository; run 'exodb db init'$" -d "$T/nope" db current
	[ ! -e instance ] && [ ! -e "$T/instance" ] || fail "instance/ was made"
}

# Flask-Migrate's habit: global options after the command.
t_global_options_after_the_command() {
	x db init -d mig; expect_ok
	[ -d mig/versions ] || fail "-d after init ignored"
	x db migrate -m "Initial user model" -d mig; expect_ok
	x db upgrade -d mig -D my.db; expect_ok
	[ -f my.db ] && [ ! -e instance ] || fail "-D after upgrade ignored"
	x db current -d mig -D my.db -q; expect_ok; expect_out '\(head\)'
	# After the command wins over before it.
	x -D none.db db current -d mig -D my.db; expect_ok
	x db downgrade -d mig -D my.db --no-backup -1; expect_ok
	expect_err '^reverted '
	x db upgrade --timeout 5 -d mig -D my.db; expect_ok
	# db history's own -v is its verbose listing, not the global -v.
	x db history -d mig -D my.db -v; expect_ok; expect_out '^Rev: '
	expect_no_out ' -> '
	x -v db history -d mig -D my.db; expect_ok; expect_out ' -> '
	expect_err '^project '
	bad 2 "^exodb: db current: unknown option '--version'" db current --version -d mig
}

t_targets_default_to_head() {
	seed
	x db show; expect_ok; expect_out '^-- message: Initial user model$'
	x db stamp base; expect_ok
	x db current; expect_ok; expect_err 'no revisions applied'
	x db stamp; expect_ok; expect_err '^stamped head: 1 revision'
	x db current; expect_ok; expect_out '\(head\)'
}

# Two branches on a root: "heads" names both, where Alembic takes it.
t_heads_target() {
	x db init
	rev 20260101000001 none "CREATE TABLE a (x);" "DROP TABLE a;" root
	rev 20260101000002 20260101000001 "CREATE TABLE b (x);" "DROP TABLE b;" left
	rev 20260101000003 20260101000001 "CREATE TABLE c (x);" "DROP TABLE c;" right
	bad 1 "merge" db upgrade
	x db upgrade heads; expect_ok
	[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 3 ] || fail "not every branch applied"
	x db stamp base; expect_ok
	x db stamp heads; expect_ok; expect_err '^stamped heads: 3 revisions'
	x db show heads; expect_ok
	[ "$(grep -c '^-- exodb revision$' "$T/.out")" = 2 ] || fail "show heads: $(out)"
	expect_out '^-- id: 20260101000002$'; expect_out '^-- id: 20260101000003$'
	bad 1 "'heads': not a revision id, 'head', 'base' or -N$" db downgrade heads
	bad 1 "'heads': not a revision id or 'head'$" db edit heads
}

t_bad_timeout() {
	seed
	for v in abc 0 -1 0.0 "" 1e3 86401 " 5" 5s; do
		bad 2 "^exodb: usage: option '--timeout' takes a number of seconds above 0, at most 86400$" --timeout "$v" db current
	done
	bad 2 "^exodb: usage: option '--timeout' takes a number of seconds above 0, at most 86400$" db current --timeout 0
	bad 2 "^exodb: usage: option '--timeout' needs a value$" --timeout
	snapshot
	EXODB_TIMEOUT=abc run "$EXODB" db current
	expect_status 2
	expect_one_error "^exodb: usage: EXODB_TIMEOUT takes a number of seconds above 0, at most 86400$"
	expect_unchanged
	# --timeout wins over a bad EXODB_TIMEOUT, as over a good one.
	EXODB_TIMEOUT=abc run "$EXODB" --timeout 2.5 db current; expect_ok
}

# --- A locked database --------------------------------------------------------

t_bad_locked_database_gives_up() {
	seed
	hold EXCLUSIVE
	bad 1 "^exodb: db current: instance/dev.db: database is locked; another exodb, or the app, holds it \(gave up after 0\.3 s; see --timeout\)$" --timeout 0.3 db current
	snapshot
	EXODB_TIMEOUT=0.2 run "$EXODB" user list
	expect_status 1
	expect_one_error "^exodb: user list: instance/dev.db: database is locked; another exodb, or the app, holds it \(gave up after 0\.2 s; see --timeout\)$"
	expect_unchanged
	release
	x db current; expect_ok; expect_out '\(head\)'
}

# A writer waits for another writer's reserved lock, gives up, and leaves
# the database as it was.
t_bad_locked_database_upgrade() {
	seed
	rev 20990101000000 "$(q instance/dev.db "SELECT id FROM exodb_revisions")" \
	    "CREATE TABLE t (x);" "DROP TABLE t;" later
	hold IMMEDIATE
	bad 1 "^exodb: db upgrade: instance/dev.db: database is locked; another exodb, or the app, holds it \(gave up after 0\.25 s; see --timeout\)$" db upgrade --timeout 0.25
	release
	x db upgrade; expect_ok; expect_err '^applied 20990101000000 later$'
}

# On a terminal, a wait of a second says so, once; the command goes on
# when the lock is released.
t_tty_locked_database_waits() {
	need tmux
	seed
	hold EXCLUSIVE
	SOCK="$root/$(basename "$T").tmux"
	printf '%s\n' "cd '$T'" \
	    "export ASAN_OPTIONS='${ASAN_OPTIONS:-}' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'" \
	    "'$EXODB' --timeout 60 db current >'$root/tty.out'" \
	    "echo \$? >'$root/rc.tmp'; mv '$root/rc.tmp' '$root/rc'" \
	    "exec cat" >"$root/pane.sh"
	rm -f "$root/rc"
	# The tmux server must not keep the holder's pipe open.
	tmux -S "$SOCK" -f /dev/null new-session -d -x 160 -y 20 "sh '$root/pane.sh'" 7>&- ||
	    fail "tmux would not start"
	trap 'tmux -S "$SOCK" kill-server 2>/dev/null' EXIT
	n=0
	until tmux -S "$SOCK" capture-pane -p | grep -qF "exodb: waiting for the lock on instance/dev.db (another exodb, or the app, holds it)"; do
		n=$((n + 1)); [ $n -lt 400 ] || fail "no note: $(tmux -S "$SOCK" capture-pane -p)"
		[ ! -f "$root/rc" ] || fail "exodb ended: $(tmux -S "$SOCK" capture-pane -p)"
		sleep 0.05
	done
	[ ! -f "$root/rc" ] || fail "exodb did not wait"
	release
	n=0
	until [ -f "$root/rc" ]; do
		n=$((n + 1)); [ $n -lt 400 ] || fail "exodb did not end"
		sleep 0.05
	done
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(tmux -S "$SOCK" capture-pane -p)"
	grep -q '(head)' "$root/tty.out" || fail "stdout: $(cat "$root/tty.out")"
	[ "$(tmux -S "$SOCK" capture-pane -p | grep -c 'waiting for the lock')" = 1 ] ||
	    fail "the note is not once: $(tmux -S "$SOCK" capture-pane -p)"
}

run_tests
