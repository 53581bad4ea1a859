#!/usr/bin/env bash
# Benchmarks behind the figures in the issues, each beside its floor (the
# sqlite3 shell doing the same work, dbmate on the same revisions, reading and
# hashing the same files) in the same run. Prints medians of paired runs: each
# round runs every command of a row once, so that the load of a shared machine
# falls on all of them alike. Asserts nothing (no timing belongs in a test).
# Usage: EXODB=./exodb tests/bench.sh [SECTION...]   (BENCH_N: see bench_chain)
#
# dbmate (v2, the npm package, which ships a prebuilt binary) is installed into
# build/dbmate with npm when missing; without npm its rows are skipped.
# EXODB_BEFORE names an older exodb (make bench builds one: BENCH_BEFORE in
# the Makefile), run in the same rounds: its rows are "before", and each of
# EXODB's says how it compares.
set -eu
: "${EXODB:?set EXODB to the exodb binary}"
EXODB=$(cd "$(dirname "$EXODB")" && pwd)/$(basename "$EXODB")
BEFORE=${EXODB_BEFORE:-}
if [ -n "$BEFORE" ]; then
	BEFORE=$(cd "$(dirname "$BEFORE")" && pwd)/$(basename "$BEFORE")
fi
TOP=$(cd "$(dirname "$0")/.." && pwd)
# Revision files are written by exodb's own formatter (make builds it); the
# chain of thousands is written by one awk, for speed.
REVISION_FILE=${REVISION_FILE:-$TOP/build/tests/revision-file}
dir=$(mktemp -d "${TMPDIR:-/tmp}/exodb-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
# The cache of the replayed chain (src/chain-cache.c) in the bench's folder;
# a file where it would make its folder: no cache for the "no cache" rows.
export XDG_CACHE_HOME=$dir/cache
: >"$dir/nocache"

# Microseconds between two of bash's EPOCHREALTIME: forking date(1) to read
# the clock would add a millisecond to each figure.
elapsed_us() { echo $(( 10#${2/[.,]/} - 10#${1/[.,]/} )); }

# median_ms N SETUP CMD: run SETUP then time CMD, N times; the median in ms.
median_ms() {
	local n=$1 setup=$2 cmd=$3 i t0 t1
	for i in $(seq "$n"); do
		eval "$setup"
		t0=$EPOCHREALTIME
		eval "$cmd" >/dev/null 2>&1
		t1=$EPOCHREALTIME
		elapsed_us "$t0" "$t1"
	done | median
}

# median: the median of the microsecond figures on stdin, in ms.
median() {
	sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}

# paired N CMD...: N rounds, each running every CMD once in turn; prints
# each CMD's median in ms, one a line, in order. "SETUP ;; CMD" runs SETUP
# untimed first. A command that fails stops the bench.
paired() {
	local n=$1 i j t0 t1 out cmd setup
	shift
	out=$(mktemp -d "$dir/paired.XXXXXX")
	for i in $(seq "$n"); do
		j=0
		for cmd in "$@"; do
			if [[ $cmd == *' ;; '* ]]; then
				setup=${cmd%% ;; *}
				cmd=${cmd#* ;; }
				eval "$setup"
			fi
			t0=$EPOCHREALTIME
			if ! eval "$cmd" >/dev/null 2>"$out/err"; then
				echo "bench: failed: $cmd: $(head -n 1 "$out/err")" >&2
				exit 1
			fi
			t1=$EPOCHREALTIME
			elapsed_us "$t0" "$t1" >>"$out/$j"
			j=$((j + 1))
		done
	done
	j=0
	for cmd in "$@"; do
		median <"$out/$j"
		echo
		j=$((j + 1))
	done
	rm -rf "$out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

# row LABEL MS [FLOOR_LABEL FLOOR_MS]...: one line of a table.
row() {
	local label=$1 ms=$2
	shift 2
	printf '  %-34s %9s ms' "$label" "$ms"
	while [ $# -ge 2 ]; do
		printf '   %s of %s' "$(ratio "$ms" "$2")" "$1"
		shift 2
	done
	echo
}

# peak CMD: CMD's peak resident memory and CPU time (user and system), from
# one run under GNU time: on a loaded machine CPU time tells more than the
# clock does.
peak() {
	if [ -x /usr/bin/time ] &&
	    /usr/bin/time -f '%M %U %S' -o "$dir/rss" bash -c "$1" >/dev/null 2>&1; then
		awk '{ printf "peak %d KiB, CPU %.2f s\n", $1, $2 + $3 }' "$dir/rss"
	else
		echo "peak ? (GNU time missing)"
	fi
}

# dbmate: the binary itself, not npm's node wrapper, which would add node's
# start-up to every run.
dbmate=
find_dbmate() {
	local d=$TOP/build/dbmate f
	for f in "$d"/node_modules/@dbmate/*/bin/dbmate; do
		[ -x "$f" ] && dbmate=$f && return 0
	done
	return 1
}
if ! find_dbmate && command -v npm >/dev/null 2>&1; then
	mkdir -p "$TOP/build/dbmate"
	npm install --prefix "$TOP/build/dbmate" --no-audit --no-fund --loglevel=error \
	    dbmate@2 >/dev/null 2>&1 || true
	find_dbmate || true
fi
if [ -n "$dbmate" ] && ! "$dbmate" --version >/dev/null 2>&1; then
	dbmate=
fi

echo "exodb $("$EXODB" -V | head -n 1 | cut -d ' ' -f 2-), $(nproc) cores, $(uptime | sed 's/.*load/load/')"
if [ -n "$BEFORE" ]; then
	echo "before: ${BEFORE_NAME:-$BEFORE}, exodb $("$BEFORE" -V | head -n 1 | cut -d ' ' -f 2-)"
fi
if [ -n "$dbmate" ]; then
	echo "beside $("$dbmate" --version)"
else
	echo "dbmate: not installed (npm missing or offline): its rows are skipped"
fi

# model_revision: the model's revision, written by db migrate, without the
# model's fingerprint, which an older exodb would not read; applied.
model_revision() {
	"$EXODB" -q db migrate -m "Initial user model" >/dev/null
	sed -i '/^-- model:/d' migrations/versions/*.sql
	"$EXODB" -q db upgrade
}

# 1. Start-up: commands that do nothing, beside the shell's 'select 1'.
bench_startup() {
	local m cmds
	mkdir startup && cd startup
	"$EXODB" -q db init && model_revision
	cmds=("sqlite3 instance/dev.db 'select 1'" "'$EXODB' db upgrade"
	    "'$EXODB' db current")
	[ -z "$BEFORE" ] || cmds+=("'$BEFORE' db upgrade" "'$BEFORE' db current")
	mapfile -t m < <(paired 101 "${cmds[@]}")
	[ "${#m[@]}" -eq "${#cmds[@]}" ] || exit 1
	echo "start-up, 1 revision, paired medians of 101:"
	row "sqlite3 instance/dev.db 'select 1'" "${m[0]}"
	if [ -n "$BEFORE" ]; then
		row "exodb db upgrade (at head)" "${m[1]}" "the shell" "${m[0]}" \
		    "before" "${m[3]}"
		row "  before" "${m[3]}" "the shell" "${m[0]}"
		row "exodb db current" "${m[2]}" "the shell" "${m[0]}" \
		    "before" "${m[4]}"
		row "  before" "${m[4]}" "the shell" "${m[0]}"
	else
		row "exodb db upgrade (at head)" "${m[1]}" "the shell" "${m[0]}"
		row "exodb db current" "${m[2]}" "the shell" "${m[0]}"
	fi
	cd ..
}

# 2. A chain of N revisions, all applied: the commands that load it, beside
# dbmate on the same N migrations (its own files, same statements), the shell
# opening the database, the shell reading the history table, and reading and
# hashing the revision files. The first revision is the model's (db migrate
# writes it), so that db check, db migrate and user list have their tables;
# each of the others creates a table. The databases are made with the shell
# at once: the same tables and history rows (checksum: the file's SHA-256)
# that 'db upgrade' writes. BENCH_N overrides the list of N.
INITIAL=20251231000000

# initial_revision: the model's revision, written by db migrate, as revision
# $INITIAL (without the model's fingerprint, which an older exodb would not
# read), applied; and the same for dbmate.
initial_revision() {
	local f
	"$EXODB" -q db migrate -m "Initial user model" >/dev/null
	f=$(ls migrations/versions/*.sql)
	sed -e "s/^-- id: .*/-- id: $INITIAL/" -e '/^-- model:/d' "$f" \
	    >"migrations/versions/${INITIAL}_initial_user_model.sql"
	rm "$f"
	"$EXODB" -q db upgrade
	mkdir -p dbmate
	{
		echo "-- migrate:up"
		sed -n '/^-- +upgrade/,/^-- +downgrade/p' \
		    "migrations/versions/${INITIAL}_initial_user_model.sql" | sed '1d;$d'
		echo "-- migrate:down"
		echo "DROP TABLE users;"
	} >"dbmate/${INITIAL}_initial_user_model.sql"
}

# gen_revisions N: revisions 2 to N after the initial one, in
# migrations/versions, and the same migrations for dbmate in dbmate/, written
# by one awk.
gen_revisions() {
	mkdir -p dbmate
	awk -v n="$1" -v parent="$INITIAL" 'BEGIN {
		for (i = 2; i <= n; i++) {
			id = sprintf("2026010100%04d", i)
			sql = sprintf("CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);", i)
			f = sprintf("migrations/versions/%s_r%d.sql", id, i)
			printf "-- exodb revision\n-- id: %s\n-- revises: %s\n-- message: r%d\n-- created: 2026-01-01T00:00:00Z\n\n-- +upgrade\n%s\n\n-- +downgrade\nDROP TABLE t%d;\n", id, parent, i, sql, i >f
			close(f)
			f = sprintf("dbmate/%s_r%d.sql", id, i)
			printf "-- migrate:up\n%s\n\n-- migrate:down\nDROP TABLE t%d;\n", sql, i >f
			close(f)
			parent = id
		}
	}'
}

# applied_db: instance/dev.db with every revision applied, and dbmate.db the
# same tables with dbmate's record of its migrations.
applied_db() {
	{
		echo "PRAGMA synchronous = OFF; BEGIN;"
		if ls migrations/versions/2026010100*.sql >/dev/null 2>&1; then
			sha256sum migrations/versions/2026010100*.sql | awk '{
				id = substr($2, length("migrations/versions/") + 1, 14)
				n = id + 0 - 20260101000000
				printf "CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\n", n
				printf "INSERT INTO exodb_revisions VALUES (\x27%s\x27, \x27%s\x27, \x272026-01-01T00:00:00.000Z\x27);\n", id, $1
			}'
		fi
		# The user that user approve and user show find (its hash is
		# never checked).
		echo "INSERT INTO users (username, email, password_hash) VALUES ('bench', 'bench@example.org', '\$argon2id\$v=19\$m=8,t=1,p=1\$c2FsdHNhbHQ\$aGFzaGhhc2hoYXNoaGFzaA');"
		echo "COMMIT;"
	} | sqlite3 instance/dev.db
	cp instance/dev.db dbmate.db
	{
		echo "BEGIN; CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version varchar(128) primary key);"
		sqlite3 instance/dev.db "SELECT 'INSERT INTO schema_migrations VALUES (' || quote(id) || ');' FROM exodb_revisions"
		echo "DROP TABLE exodb_revisions; COMMIT;"
	} | sqlite3 dbmate.db
}

# The commands of the chain's table, by name: exodb's and, when there is one,
# the older exodb's.
CHAIN_CMDS=("db upgrade" "db current" "db history" "db heads" "db check"
    "db migrate -m bench" "user list" "user show bench" "user approve bench")
# Those that replay the chain, run again without its cache (CHAIN_CMDS's
# find it: each command ran once before the timing).
COLD_CMDS=("db check" "db migrate -m bench")

bench_chain() {
	declare -A chain
	local n r i j m cmds names floors label k nb sel shist hash replay dup dst
	local cold
	echo "a chain of N revisions, all applied; paired medians of R rounds:"
	for n in ${BENCH_N:-10 100 1000 5000}; do
		case $n in
		10 | 100) r=21 ;;
		1000) r=11 ;;
		*) r=7 ;;
		esac
		mkdir "chain$n" && cd "chain$n"
		"$EXODB" -q db init
		initial_revision
		gen_revisions "$n"
		applied_db
		# The head is what the shell built: exodb agrees before anything is timed.
		[ "$("$EXODB" -q db current | cut -d ' ' -f 1)" = "$(printf '2026010100%04d' "$n")" ] ||
		    { echo "bench: db current at N=$n: $("$EXODB" db current 2>&1)" >&2; exit 1; }
		# What db check and db migrate cannot do without: the chain's
		# upgrade sections run in one transaction on an empty in-memory
		# database (file order is id order: the chain is linear).
		{
			echo "BEGIN;"
			awk '/^-- \+/ { up = ($0 == "-- +upgrade"); next } up' \
			    migrations/versions/*.sql
			echo "COMMIT;"
		} >replay.sql
		cmds=("sqlite3 instance/dev.db 'select 1'"
		    "sqlite3 instance/dev.db 'SELECT * FROM exodb_revisions ORDER BY id'"
		    "cat migrations/versions/*.sql | sha256sum"
		    "sqlite3 :memory: < replay.sql")
		names=("sqlite3 dev.db 'select 1'" "the shell reading the history"
		    "cat versions/*.sql | sha256sum" "the shell replaying the chain")
		if [ -n "$dbmate" ]; then
			cmds+=("'$dbmate' --url sqlite:dbmate.db --migrations-dir dbmate --no-dump-schema up"
			    "'$dbmate' --url sqlite:dbmate.db --migrations-dir dbmate status")
			names+=("dbmate up (nothing to do)" "dbmate status")
		fi
		nb=${#cmds[@]}
		for k in "${CHAIN_CMDS[@]}"; do
			cmds+=("'$EXODB' $k")
			names+=("exodb $k")
		done
		for k in "${COLD_CMDS[@]}"; do
			cmds+=("XDG_CACHE_HOME='$dir/nocache' '$EXODB' $k")
			names+=("exodb $k, no cache")
		done
		# Nothing to migrate: db migrate writes no revision here.
		"$EXODB" -q db migrate -m bench 2>/dev/null
		[ "$(ls migrations/versions | wc -l)" -eq "$n" ] ||
		    { echo "bench: db migrate wrote a revision at N=$n" >&2; exit 1; }
		# The older exodb's rows, for the commands it runs here as they
		# are (its model may differ: a revision it writes is taken back).
		for k in "${CHAIN_CMDS[@]}"; do
			[ -n "$BEFORE" ] || break
			# shellcheck disable=SC2086 # $k is a command and its arguments
			if "$BEFORE" $k >/dev/null 2>&1 &&
			    [ "$(ls migrations/versions | wc -l)" -eq "$n" ]; then
				cmds+=("'$BEFORE' $k")
				names+=("before $k")
			fi
			find migrations/versions -name '*_bench.sql' -delete
		done
		mapfile -t m < <(paired "$r" "${cmds[@]}")
		[ "${#m[@]}" -eq "${#cmds[@]}" ] || exit 1
		for i in "${!m[@]}"; do
			chain[$n,${names[$i]}]=${m[$i]}
		done
		sel=${m[0]} shist=${m[1]} hash=${m[2]} replay=${m[3]}
		dup=${m[4]:-} dst=${m[5]:-}
		floors=("'select 1'" "$sel" "hashing" "$hash")
		echo "N = $n, R = $r:"
		for k in "${CHAIN_CMDS[@]}"; do
			label="exodb $k"
			[ "$k" = "db upgrade" ] && label="exodb db upgrade (nothing to do)"
			case $k in
			"db check" | "db migrate"*) label="$label (cached)" ;;
			esac
			set -- "${floors[@]}"
			if [ -n "$dbmate" ]; then
				case $k in
				"db upgrade") set -- "$@" "dbmate up" "$dup" ;;
				*) set -- "$@" "dbmate status" "$dst" ;;
				esac
			fi
			[ "$k" = "db history" ] && set -- "$@" "the shell reading the history" "$shist"
			case $k in
			"db check" | "db migrate"*) set -- "$@" "the shell replaying" "$replay" ;;
			esac
			if [ -n "${chain[$n,before $k]:-}" ]; then
				row "$label" "${chain[$n,exodb $k]}" "$@" before "${chain[$n,before $k]}"
				row "  before" "${chain[$n,before $k]}" "$@"
			else
				row "$label" "${chain[$n,exodb $k]}" "$@"
			fi
		done
		for k in "${COLD_CMDS[@]}"; do
			set -- "the shell replaying" "$replay"
			[ -z "$dbmate" ] || set -- "$@" "dbmate status" "$dst"
			row "exodb $k (no cache)" "${chain[$n,exodb $k, no cache]}" "$@"
		done
		for ((i = 0; i < nb; i++)); do
			case ${names[$i]} in
			dbmate*) row "${names[$i]}" "${m[$i]}" "'select 1'" "$sel" ;;
			*) row "${names[$i]}" "${m[$i]}" ;;
			esac
		done
		cd ..
		rm -rf "chain$n"
	done
	echo "from 1,000 to 5,000 revisions (linear is 5x):"
	cold=("${COLD_CMDS[@]/#/exodb }")
	for k in "sqlite3 dev.db 'select 1'" "the shell reading the history" \
	    "cat versions/*.sql | sha256sum" "the shell replaying the chain" \
	    "dbmate up (nothing to do)" "dbmate status" \
	    "${CHAIN_CMDS[@]/#/exodb }" "${cold[@]/%/, no cache}" \
	    "${CHAIN_CMDS[@]/#/before }"; do
		[ -n "${chain[5000,$k]:-}" ] && [ -n "${chain[1000,$k]:-}" ] || continue
		printf '  %-34s %s\n' "$k" "$(ratio "${chain[5000,$k]}" "${chain[1000,$k]}")"
	done
}

# 3. Applying 200 small revisions to a fresh database, beside the shell
# running the same 200 statements with one commit each and in one transaction,
# and with --single-transaction when db upgrade has it.
bench_apply() {
	local parent=none i id sql single="" shell shell1 ex ex1 m
	mkdir apply && cd apply
	"$EXODB" -q db init
	: >statements.sql
	for i in $(seq 200); do
		id=$(printf '2026010100%04d' "$i")
		sql="CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t$i (v) VALUES ('row $i');"
		"$REVISION_FILE" migrations/versions "$id" "$parent" "r$i" "r$i" "$sql" "DROP TABLE t$i;"
		printf 'BEGIN;\n%s\nCOMMIT;\n' "$sql" >>statements.sql
		parent=$id
	done
	{ echo "BEGIN;"; grep -v '^BEGIN;$\|^COMMIT;$' statements.sql; echo "COMMIT;"; } >one.sql
	cmds=("rm -f shell.db ;; sqlite3 shell.db < statements.sql"
	    "rm -f shell1.db ;; sqlite3 shell1.db < one.sql"
	    "rm -rf instance ;; '$EXODB' db upgrade")
	if "$EXODB" db upgrade --help 2>&1 | grep -q -- '--single-transaction'; then
		single=1
		cmds+=("rm -rf instance ;; '$EXODB' db upgrade --single-transaction")
	fi
	[ -z "$BEFORE" ] || cmds+=("rm -rf instance ;; '$BEFORE' db upgrade")
	mapfile -t m < <(paired 5 "${cmds[@]}")
	[ "${#m[@]}" -eq "${#cmds[@]}" ] || exit 1
	shell=${m[0]} shell1=${m[1]} ex=${m[2]}
	echo "200 small revisions on a fresh database, paired medians of 5:"
	row "sqlite3 shell, one commit each" "$shell"
	row "sqlite3 shell, one transaction" "$shell1" "one commit each" "$shell"
	if [ -n "$BEFORE" ]; then
		row "exodb db upgrade" "$ex" "the shell committing each" "$shell" \
		    "one transaction" "$shell1" "before" "${m[${#m[@]} - 1]}"
		row "  before" "${m[${#m[@]} - 1]}" "the shell committing each" \
		    "$shell" "one transaction" "$shell1"
	else
		row "exodb db upgrade" "$ex" "the shell committing each" "$shell" \
		    "one transaction" "$shell1"
	fi
	if [ -n "$single" ]; then
		ex1=${m[3]}
		row "exodb db upgrade --single-transaction" "$ex1" \
		    "the shell in one transaction" "$shell1"
	else
		echo "  exodb db upgrade --single-transaction: not in this exodb"
	fi
	cd ..
}

# 4. Rebuilding a 1,000,000-row users table, beside the shell running the
# same script (exodb's own --sql output: same statements and history rows).
# The old users table is a revision's, so that the database has not drifted
# from the chain that db migrate diffs the model against.
bench_rebuild() {
	mkdir rebuild && cd rebuild
	"$EXODB" -q db init
	"$REVISION_FILE" migrations/versions 20260101000001 none old_users "Old users" \
	    "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL, email VARCHAR(120) NOT NULL, password_hash VARCHAR(256) NOT NULL, role VARCHAR(20) DEFAULT 'member', is_approved BOOLEAN NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);" "DROP TABLE users;"
	"$EXODB" -q db upgrade
	sqlite3 instance/dev.db "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000)
	INSERT INTO users (username, email, password_hash, role) SELECT 'user' || n, 'u' || n || '@example.org', '\$argon2id\$v=19\$m=65536,t=3,p=4\$' || hex(randomblob(16)) || '\$' || hex(randomblob(32)), 'user' FROM c;"
	"$EXODB" -q db migrate -m "Rebuild users" >/dev/null
	"$EXODB" -q db upgrade --sql >rebuild.sql
	cp instance/dev.db pristine.db
	shell=$(median_ms 5 "cp pristine.db instance/dev.db" "sqlite3 instance/dev.db < rebuild.sql")
	ex=$(median_ms 5 "cp pristine.db instance/dev.db" "'$EXODB' db upgrade")
	echo "rebuild of a 1,000,000-row users table, median of 5:"
	echo "  sqlite3 shell, the same script       $shell ms"
	echo "  exodb db upgrade                     $ex ms ($(ratio "$ex" "$shell") of the shell)"
	cd ..
}

# 5. Listing 1,000,000 users, beside the shell printing the same columns of
# the same query in its list and JSON modes; and the peak memory of each.
bench_list() {
	local q m
	mkdir list && cd list
	"$EXODB" -q db init && model_revision
	sqlite3 instance/dev.db "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000)
INSERT INTO users (username, email, password_hash, role, is_approved) SELECT 'user' || n, 'u' || n || '@example.org', '\$argon2id\$v=19\$m=65536,t=3,p=4\$' || hex(randomblob(16)) || '\$' || hex(randomblob(32)), CASE WHEN n % 10 = 0 THEN 'admin' ELSE 'user' END, n % 3 = 0 FROM c;"
	q="SELECT id, username, email, role, CASE WHEN is_approved THEN 'yes' ELSE 'no' END FROM users ORDER BY id"
	cmds=("'$EXODB' user list" "sqlite3 -list instance/dev.db \"$q\""
	    "'$EXODB' user list --json" "sqlite3 -json instance/dev.db \"$q\"")
	[ -z "$BEFORE" ] || cmds+=("'$BEFORE' user list" "'$BEFORE' user list --json")
	mapfile -t m < <(paired 5 "${cmds[@]}")
	[ "${#m[@]}" -eq "${#cmds[@]}" ] || exit 1
	echo "listing 1,000,000 users, paired medians of 5; then one run each:"
	row "sqlite3 -list" "${m[1]}"
	echo "    $(peak "${cmds[1]}")"
	row "exodb user list" "${m[0]}" "sqlite3 -list" "${m[1]}"
	echo "    $(peak "${cmds[0]}")"
	row "sqlite3 -json" "${m[3]}"
	echo "    $(peak "${cmds[3]}")"
	row "exodb user list --json" "${m[2]}" "sqlite3 -json" "${m[3]}"
	echo "    $(peak "${cmds[2]}")"
	if [ -n "$BEFORE" ]; then
		row "before: user list" "${m[4]}" "sqlite3 -list" "${m[1]}"
		echo "    $(peak "${cmds[4]}")"
		row "before: user list --json" "${m[5]}" "sqlite3 -json" "${m[3]}"
		echo "    $(peak "${cmds[5]}")"
	fi
	cd ..
}

# 6. One user create, at the default Argon2id cost and at the test floor.
bench_create() {
	mkdir users && cd users
	"$EXODB" -q db init && "$EXODB" -q db migrate -m "Initial user model" >/dev/null && "$EXODB" -q db upgrade
	cp instance/dev.db pristine.db
	pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	def=$(median_ms 11 "cp pristine.db instance/dev.db" "echo $pw | '$EXODB' -q user create alice --email a@example.org --password-stdin")
	floor=$(median_ms 11 "cp pristine.db instance/dev.db" "echo $pw | EXODB_ARGON2_COST=m=19456,t=2,p=1 '$EXODB' -q user create alice --email a@example.org --password-stdin")
	echo "one user create, median of 11:"
	echo "  default cost m=65536,t=3,p=4         $def ms"
	echo "  test floor m=19456,t=2,p=1           $floor ms"
	cd ..
}

# 7. PostgreSQL: a throwaway cluster (as tests/pg.sh makes one: initdb in a
# temporary folder, as nobody when root, a Unix socket only, fsync on), and
# beside psql on the same server: a no-op db upgrade beside
# psql -c 'select 1'; 200 revisions onto an empty database beside psql
# running the same statements (each revision's CREATE TABLE and its history
# row) each in its own transaction; and db migrate, which also proves the new
# revision on the server.
bench_pg() {
	local uri psql i m mig cmds up
	# Not local: the trap that stops the server reads them.
	pg_bin=
	pg_dir=
	pg_as=()
	if ! command -v pg_config >/dev/null 2>&1; then
		echo "PostgreSQL: pg_config missing: its rows are skipped"
		return 0
	fi
	pg_bin=$(pg_config --bindir)
	pg_dir=$(mktemp -d /tmp/exodb-bpg.XXXXXX)
	if [ "$(id -u)" -eq 0 ]; then
		chown 65534:65534 "$pg_dir"
		pg_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U exodb --auth=trust -E UTF8 \
	    --locale=C.UTF-8 >/dev/null 2>&1 &&
	    "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
	    -o "-c listen_addresses='' -k $pg_dir" start >/dev/null 2>&1 || {
		echo "bench: the PostgreSQL server did not start" >&2
		rm -rf "$pg_dir"
		exit 1
	}
	trap '"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg_dir" "$dir"' EXIT
	psql="'$pg_bin/psql' -X -q -h '$pg_dir' -U exodb"
	eval "$psql -d postgres -c 'CREATE DATABASE noop' -c 'CREATE DATABASE two'" >/dev/null
	mkdir pg && cd pg
	"$EXODB" -q db init && "$EXODB" -q db migrate -m "Initial user model" >/dev/null
	uri="postgresql:///noop?host=$pg_dir&user=exodb"
	"$EXODB" -q -D "$uri" db upgrade
	cmds=("$psql -d noop -c 'select 1'" "'$EXODB' -D '$uri' db upgrade")
	mapfile -t m < <(paired 101 "${cmds[@]}")
	echo "PostgreSQL $("$pg_bin/postgres" -V | awk '{ print $3 }'), the same server, paired medians of 101:"
	row "psql -c 'select 1'" "${m[0]}"
	row "exodb db upgrade (at head)" "${m[1]}" "psql" "${m[0]}"

	# 200 revisions, each a table, onto an empty database.
	mkdir ../pg200 && cd ../pg200
	"$EXODB" -q db init
	up=
	for i in $(seq 200); do
		printf -- '-- exodb revision\n-- id: %s\n-- revises: %s\n-- message: t%s\n-- created: 2026-01-01T00:00:00Z\n\n-- +upgrade\nCREATE TABLE t%s (id INTEGER PRIMARY KEY, v TEXT);\n\n-- +downgrade\nDROP TABLE t%s;\n\n-- +upgrade postgresql\nCREATE TABLE t%s (id integer PRIMARY KEY, v text);\n\n-- +downgrade postgresql\nDROP TABLE t%s;\n' \
		    $((20260101000000 + i)) \
		    "$([ "$i" -eq 1 ] && echo none || echo $((20260101000000 + i - 1)))" \
		    "$i" "$i" "$i" "$i" "$i" >"migrations/versions/$((20260101000000 + i))_t$i.sql"
		up+="BEGIN; CREATE TABLE t$i (id integer PRIMARY KEY, v text); INSERT INTO h VALUES ('$((20260101000000 + i))', 'a checksum of 64 characters, as exodb writes for each file', now()); COMMIT;
"
	done
	printf 'CREATE TABLE h (id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL);\n%s' "$up" >up.sql
	uri="postgresql:///two?host=$pg_dir&user=exodb"
	cmds=("eval \"$psql -d postgres -c 'DROP DATABASE two' -c 'CREATE DATABASE two'\" >/dev/null ;; $psql -d two -f up.sql"
	    "eval \"$psql -d postgres -c 'DROP DATABASE two' -c 'CREATE DATABASE two'\" >/dev/null ;; '$EXODB' -D '$uri' db upgrade")
	mapfile -t m < <(paired 11 "${cmds[@]}")
	echo "200 revisions onto an empty database, paired medians of 11:"
	row "psql, a transaction each" "${m[0]}"
	row "exodb db upgrade" "${m[1]}" "psql" "${m[0]}"

	# db migrate on the server: a column added to the model.
	cd ../pg
	sed -n '/^CREATE /,$p' "$TOP/src/model.sql" |
	    sed 's/^\(CREATE TABLE users (\)$/\1\n\tlast_login DATETIME,/' >model.sql
	grep -q last_login model.sql || { echo "bench: no column added to the model" >&2; exit 1; }
	uri="postgresql:///noop?host=$pg_dir&user=exodb"
	mig=$(median_ms 11 "rm -f migrations/versions/*_add_last_login.sql" \
	    "'$EXODB' --model model.sql -D '$uri' db migrate -m 'Add last_login'")
	ls migrations/versions/*_add_last_login.sql >/dev/null 2>&1 ||
	    { echo "bench: db migrate wrote no revision on PostgreSQL" >&2; exit 1; }
	echo "db migrate on PostgreSQL (a column added; the proof on the server), median of 11:"
	row "exodb db migrate" "$mig"
	cd ..
	"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1
	rm -rf "$pg_dir"
	trap 'rm -rf "$dir"' EXIT
}

# Every section, or those named: tests/bench.sh chain list
for section in "${@:-startup chain apply rebuild list create pg}"; do
	for s in $section; do
		if ! declare -F "bench_$s" >/dev/null; then
			echo "bench: no section '$s'; sections: startup chain apply rebuild list create pg" >&2
			exit 2
		fi
		"bench_$s"
	done
done
