#!/usr/bin/env bash
# The cache of the replayed chain (src/chain-cache.c): every command that
# replays the chain says the same with and without it, and a cache file that
# cannot be trusted is ignored, silently, and replaced.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# Each test has a cache of its own, inside its folder's parent (so that
# snapshot sees only the project).
cache_home() {
	export XDG_CACHE_HOME="$T.xdg"
	rm -rf "$XDG_CACHE_HOME"
}

# The cache file of the project here (the only one in its cache).
cache_file() {
	local f
	for f in "$XDG_CACHE_HOME"/exodb/chain-*; do
		[ -e "$f" ] || [ -L "$f" ] || fail "no cache file"
		echo "$f"
		return 0
	done
}

# A project whose chain has a table, an index, a trigger and a view beside
# the model's users table, all applied.
project() {
	cache_home
	seed
	rev 20260101000001 "$(ls migrations/versions | cut -c1-14)" \
	    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE INDEX ix_notes_body ON notes (body);
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN SELECT 1; END;
CREATE VIEW note_bodies AS SELECT body FROM notes;" \
	    "DROP VIEW note_bodies; DROP TABLE notes;" notes "Notes"
	x db upgrade && expect_ok
}

# both_ways CMD...: CMD cold (no cache: one is written), warm (the cache is
# read) and with no cache possible; the same stdout, stderr and status each
# time.
both_ways() {
	local f ino
	rm -rf "$XDG_CACHE_HOME"
	x "$@"
	cp "$T/.out" "$T.out1" && cp "$T/.err" "$T.err1" && echo "$rc" >"$T.rc1"
	f=$(cache_file)
	ino=$(stat -c %i "$f")
	x "$@"
	[ "$(stat -c %i "$f")" = "$ino" ] || fail "$*: the cache was not used"
	cmp -s "$T/.out" "$T.out1" || fail "$*: stdout differs with the cache"
	cmp -s "$T/.err" "$T.err1" || fail "$*: stderr differs with the cache"
	[ "$rc" = "$(cat "$T.rc1")" ] || fail "$*: status differs with the cache"
	XDG_CACHE_HOME=$T.nocache x "$@"
	cmp -s "$T/.out" "$T.out1" || fail "$*: stdout differs without a cache"
	cmp -s "$T/.err" "$T.err1" || fail "$*: stderr differs without a cache"
	[ "$rc" = "$(cat "$T.rc1")" ] || fail "$*: status differs without a cache"
}

t_replaying_commands_alike_with_and_without() {
	project
	: >"$T.nocache"		# a file: no cache folder can be made in it
	both_ways db check
	expect_status 0
	both_ways db check --json
	both_ways db status
	both_ways db migrate -m nothing
	[ "$(ls migrations/versions | wc -l)" -eq 2 ] || fail "db migrate wrote"
	# What the chain lacks: the model's new column.
	q instance/dev.db "CREATE TABLE extra (id INTEGER PRIMARY KEY)"
	both_ways db check
	expect_status 1
	expect_out '^drift table extra'
	both_ways db status
	both_ways db migrate -m more
	expect_status 1
	expect_err 'drifted'
	q instance/dev.db "DROP TABLE extra"
	both_ways db baseline -m again
	expect_ok
}

# db migrate writes a revision (two rebuilds, which the copy of the chain
# replays both ways): the same with the cache as without.
t_migrate_writes_alike() {
	local a b
	project
	cp -r . "$T.copy"
	printf 'CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL COLLATE NOCASE, email VARCHAR(120) NOT NULL COLLATE NOCASE, password_hash VARCHAR(256) NOT NULL, role VARCHAR(20) NOT NULL ON CONFLICT REPLACE DEFAULT %s CHECK (role IN (%s, %s)), is_approved BOOLEAN NOT NULL ON CONFLICT REPLACE DEFAULT 0 CHECK (is_approved IN (0, 1)), bio TEXT);\nCREATE UNIQUE INDEX ix_users_username ON users (username);\nCREATE UNIQUE INDEX ix_users_email ON users (email);\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCREATE INDEX ix_notes_body ON notes (body);\n' "'user'" "'user'" "'admin'" >"$T.model"
	export EXODB_MODEL=$T.model
	# Warm here (db check wrote the cache), cold in the copy.
	x db check && expect_status 1
	x db migrate -m "Add bio"
	expect_ok
	(cd "$T.copy" && XDG_CACHE_HOME=$T.nocache2 \
	    "$EXODB" db migrate -m "Add bio" >"$T.copy.out" 2>"$T.copy.err") ||
	    fail "db migrate failed without a cache"
	a=$(ls migrations/versions/*_add_bio.sql)
	b=$(ls "$T.copy"/migrations/versions/*_add_bio.sql)
	# Rebuilds, on the deserialized copy as on the replayed one.
	grep -q '^-- rebuild table notes' "$a" || fail "no rebuild of notes"
	grep -q '^-- rebuild table users' "$a" || fail "no rebuild of users"
	diff <(grep -v '^-- \(id\|created\|revises\):' "$a") \
	    <(grep -v '^-- \(id\|created\|revises\):' "$b") ||
	    fail "the revisions differ"
	diff <(sed 's/[0-9]\{14\}/ID/g' "$T/.err") \
	    <(sed 's/[0-9]\{14\}/ID/g' "$T.copy.err") || fail "stderr differs"
}

# The key is the chain: an added or edited revision is a miss, replayed (the
# new chain's schema is what the command sees) and recorded in place of the
# old one.
t_chain_change_is_a_miss() {
	local f ino
	project
	x db check && expect_ok
	f=$(cache_file)
	ino=$(stat -c %i "$f")
	rev 20260101000002 20260101000001 "CREATE TABLE more (id INTEGER);" \
	    "DROP TABLE more;" more "More"
	x db check
	expect_status 1
	expect_out '^pending 20260101000002'
	[ "$(stat -c %i "$f")" != "$ino" ] || fail "the stale cache was kept"
	ino=$(stat -c %i "$f")
	# The pending revision edited: another chain again.
	sed -i 's/CREATE TABLE more (id INTEGER);/CREATE TABLE other (id INTEGER);/' \
	    migrations/versions/20260101000002_more.sql
	x db upgrade && expect_ok
	q instance/dev.db "DROP TABLE other"
	x db check
	expect_status 1
	expect_out '^drift table other: in the chain, not in the database'
	expect_no_out 'more'
	[ "$(stat -c %i "$f")" != "$ino" ] || fail "the stale cache was kept"
	ino=$(stat -c %i "$f")
	cp "$T/.out" "$T.out1"
	x db check
	[ "$(stat -c %i "$f")" = "$ino" ] || fail "the new cache was not used"
	cmp -s "$T/.out" "$T.out1" || fail "the cached answer differs"
	[ "$(ls -A "$XDG_CACHE_HOME/exodb" | wc -l)" -eq 1 ] ||
	    fail "more than one cache file: $(ls -A "$XDG_CACHE_HOME/exodb")"
}

# Another build of exodb (here a copy: another file) never takes this one's
# image, even with the same version number.
t_another_build_is_a_miss() {
	local f ino real
	project
	x db check && expect_ok
	f=$(cache_file)
	ino=$(stat -c %i "$f")
	cp "$T/.out" "$T.out1"
	# make valgrind's EXODB is a script that runs the binary under valgrind:
	# the copy of the binary, under the same.
	if [ "$(head -c 2 "$EXODB")" = '#!' ]; then
		real=$(sed -n 's/.* \([^ ]*\) "\$@"$/\1/p' "$EXODB")
		[ -x "$real" ] || fail "no binary in $EXODB"
		cp "$real" "$T.bin"
		sed "s| $real \"| $T.bin \"|" "$EXODB" >"$T.exodb"
		chmod +x "$T.exodb"
	else
		cp "$EXODB" "$T.exodb"
	fi
	EXODB=$T.exodb x db check
	expect_ok
	cmp -s "$T/.out" "$T.out1" || fail "another build answers otherwise"
	[ "$(stat -c %i "$f")" != "$ino" ] || fail "another build took the cache"
}

# A cache file made for another chain, under this project's name: its key
# differs, so it is ignored and replaced.
t_foreign_key_ignored() {
	local f
	project
	x db check && expect_ok
	f=$(cache_file)
	mv "$f" "$T.mine"
	mkdir "$T.other" && (cd "$T.other" && "$EXODB" -q db init &&
	    "$EXODB" -q db migrate -m "Initial user model" >/dev/null &&
	    "$EXODB" -q db upgrade && "$EXODB" db check >/dev/null) ||
	    fail "cannot make the other project"
	[ "$(ls "$XDG_CACHE_HOME/exodb" | wc -l)" -eq 1 ] || fail "no other cache"
	mv "$XDG_CACHE_HOME"/exodb/chain-* "$f"
	x db check
	expect_ok
	cmp -s "$f" "$T.mine" || fail "the other chain's cache was not replaced"
}

# db check's answer at head, and not a word more: nothing of the cache.
expect_clean() {
	expect_ok
	[ "$(err)" = "database is at head, without drift, and matches the model" ] ||
	    fail "stderr: $(err)"
	[ ! -s "$T/.out" ] || fail "stdout: $(out)"
}

# damaged HOW: the cache file damaged so; the command says what it says
# without a cache, silently, and the file is whole again afterwards.
damaged() {
	local f
	project
	x db check && expect_ok
	f=$(cache_file)
	cp "$f" "$T.good"
	eval "$1"
	x db check
	expect_clean
	[ -f "$f" ] && [ ! -L "$f" ] || fail "not replaced by a file"
	cmp -s "$f" "$T.good" || fail "not replaced by the right image"
	[ "$(stat -c '%a %u' "$f")" = "600 $(id -u)" ] || fail "mode $(stat -c '%a %u' "$f")"
	[ "$(find "$XDG_CACHE_HOME/exodb" -name '.chain-*' | wc -l)" -eq 0 ] ||
	    fail "a temporary file was left"
}

t_truncated_ignored() {
	damaged 'truncate -s -100 "$f"'
}

t_truncated_header_ignored() {
	damaged 'truncate -s 20 "$f"'
}

t_empty_ignored() {
	damaged ': >"$f"'
}

# A byte of the meta part (the schema) changed: its digest does not match.
t_corrupt_meta_ignored() {
	damaged 'printf "\x55" | dd of="$f" bs=1 seek=200 conv=notrunc status=none'
}

# A byte of the stored digest of the meta part changed.
t_corrupt_digest_ignored() {
	damaged 'printf "\x55" | dd of="$f" bs=1 seek=50 conv=notrunc status=none'
}

# image_damaged HOW: the cache file damaged so in its image, which a command
# reads only when it needs the chain's database: db check of a database that
# has drifted. It says what it says without a cache, and the file is mended.
image_damaged() {
	local f
	project
	q instance/dev.db "CREATE TABLE extra (id INTEGER PRIMARY KEY)"
	XDG_CACHE_HOME=$T.nocache x db check
	expect_status 1
	cp "$T/.out" "$T.out1" && cp "$T/.err" "$T.err1"
	x db check
	f=$(cache_file)
	cp "$f" "$T.good"
	eval "$1"
	x db check
	expect_status 1
	cmp -s "$T/.out" "$T.out1" || fail "stdout differs: $(out)"
	cmp -s "$T/.err" "$T.err1" || fail "stderr differs: $(err)"
	cmp -s "$f" "$T.good" || fail "not mended"
}

# A byte of the image changed: the image's digest does not match.
t_corrupt_image_ignored() {
	image_damaged 'printf "\x55" | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 500)) conv=notrunc status=none'
}

# A byte of the stored digest of the image changed.
t_corrupt_image_digest_ignored() {
	image_damaged 'printf "\x55" | dd of="$f" bs=1 seek=90 conv=notrunc status=none'
}

t_wrong_size_ignored() {
	damaged 'cat "$T.good" "$T.good" >"$f"'
}

t_world_writable_ignored() {
	damaged 'chmod 666 "$f"'
}

t_group_writable_ignored() {
	damaged 'chmod 620 "$f"'
}

t_foreign_owned_ignored() {
	[ "$(id -u)" -eq 0 ] || skip "chown to another user needs root"
	damaged 'chown 65534 "$f"'
}

# A link to a good cache file (another project's copy): not followed; the
# link is replaced, its target left alone.
t_symlink_ignored() {
	damaged 'cp "$f" "$T.target" && rm "$f" && ln -s "$T.target" "$f"'
	cmp -s "$T.target" "$T.good" || fail "the link's target changed"
}

# A FIFO in the file's place does not hang the command.
t_fifo_ignored() {
	damaged 'rm "$f" && mkfifo "$f"'
}

# Another chain's cache under this chain's key: proof that what the file
# holds is what is used (the schema, the digest of sqlite_schema and the
# image), and that only the key and digests guard it, so that a stale one can
# never be.
t_cache_is_used() {
	local f
	project
	x db check && expect_ok
	f=$(cache_file)
	head -c 48 "$f" >"$T.key"	# magic and key
	# The cache of the chain with a table and a view more, which the
	# database lacks: the table's drift is found in the cached schema,
	# the view's in the cached image.
	rev 20260101000002 20260101000001 "CREATE TABLE ghost (id INTEGER);
CREATE VIEW ghost_v AS SELECT 1;" "DROP VIEW ghost_v; DROP TABLE ghost;" \
	    ghost "Ghost"
	x db check
	expect_status 1
	{ cat "$T.key"; tail -c +49 "$f"; } >"$T.forged"
	rm migrations/versions/20260101000002_*
	cat "$T.forged" >"$f"
	x db check
	expect_status 1
	expect_out '^drift table ghost: in the chain, not in the database'
	expect_out '^drift view ghost_v: in the chain, not in the database'
}

# A cache folder that is a link, or is not the user's alone: not used,
# nothing written through it.
t_symlinked_folder_ignored() {
	project
	mkdir -p "$T.elsewhere" "$XDG_CACHE_HOME"
	chmod 700 "$T.elsewhere"
	ln -s "$T.elsewhere" "$XDG_CACHE_HOME/exodb"
	x db check
	expect_ok
	[ -z "$(ls -A "$T.elsewhere")" ] || fail "written through the link"
}

t_shared_folder_ignored() {
	project
	mkdir -p "$XDG_CACHE_HOME/exodb"
	chmod 777 "$XDG_CACHE_HOME/exodb"
	x db check
	expect_ok
	[ -z "$(ls -A "$XDG_CACHE_HOME/exodb")" ] || fail "written in a shared folder"
}

# Made as the XDG spec asks: folders 0700, the file 0600, no temporary left.
t_made_private() {
	local f
	project
	x db check && expect_ok
	f=$(cache_file)
	[ "$(stat -c %a "$XDG_CACHE_HOME")" = 700 ] || fail "XDG_CACHE_HOME not 0700"
	[ "$(stat -c %a "$XDG_CACHE_HOME/exodb")" = 700 ] || fail "folder not 0700"
	[ "$(stat -c %a "$f")" = 600 ] || fail "file not 0600"
	[ "$(ls -A "$XDG_CACHE_HOME/exodb" | wc -l)" -eq 1 ] || fail "stray files"
	# Nothing of it in the project.
	[ -z "$(find . -name '*cache*' -o -name '.chain-*')" ] || fail "in the project"
}

# Without XDG_CACHE_HOME: ~/.cache/exodb. A relative XDG_CACHE_HOME is
# ignored, as the spec says.
t_home_default() {
	project
	mkdir "$T.home"
	unset XDG_CACHE_HOME
	HOME=$T.home x db check
	expect_ok
	ls "$T.home/.cache/exodb"/chain-* >/dev/null 2>&1 || fail "not in ~/.cache"
	rm -rf "$T.home/.cache"
	HOME=$T.home XDG_CACHE_HOME=rel x db check
	expect_ok
	[ ! -e rel ] || fail "a relative XDG_CACHE_HOME was used"
	ls "$T.home/.cache/exodb"/chain-* >/dev/null 2>&1 || fail "not in ~/.cache"
}

# Nowhere to write it (a file where the folder would be, a read-only
# folder): the command's result is unchanged, and says nothing of it.
t_unwritable_silent() {
	project
	: >"$T.file"
	XDG_CACHE_HOME=$T.file x db check
	expect_clean
	XDG_CACHE_HOME=$T.file/sub x db check
	expect_clean
	env -u HOME -u XDG_CACHE_HOME "$EXODB" db check >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_clean
	if [ "$(id -u)" -ne 0 ]; then
		mkdir -p "$XDG_CACHE_HOME/exodb" && chmod 500 "$XDG_CACHE_HOME/exodb"
		x db check
		expect_clean
		[ -z "$(ls -A "$XDG_CACHE_HOME/exodb")" ] || fail "written in a folder 0500"
		chmod 700 "$XDG_CACHE_HOME/exodb"
	fi
}

# A chain that does not replay is not cached, and fails alike every time.
t_failing_chain_not_cached() {
	project
	rm -rf "$XDG_CACHE_HOME"
	rev 20260101000002 20260101000001 "CREATE TABLE notes (id INTEGER);" \
	    "DROP TABLE notes;" again "Again"
	x db check
	expect_status 3
	cp "$T/.err" "$T.err1"
	[ ! -e "$XDG_CACHE_HOME/exodb" ] || [ -z "$(ls -A "$XDG_CACHE_HOME/exodb")" ] ||
	    fail "a failed replay was cached"
	x db check
	expect_status 3
	cmp -s "$T/.err" "$T.err1" || fail "the second failure differs"
}

run_tests
