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
set -eu
: "${EXODB:?set EXODB to the exodb binary}"
EXODB=$(cd "$(dirname "$EXODB")" && pwd)/$(basename "$EXODB")
TOP=$(cd "$(dirname "$0")/.." && pwd)
# Revision files are written by exodb's own formatter (make builds it); the
# chain of thousands is written by one awk, for speed.
REVISION_FILE=${REVISION_FILE:-$TOP/build/tests/revision-file}
dir=$(mktemp -d "${TMPDIR:-/tmp}/exodb-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

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

echo "exodb $("$EXODB" -V | cut -d ' ' -f 2-), $(nproc) cores, $(uptime | sed 's/.*load/load/')"
if [ -n "$dbmate" ]; then
	echo "beside $("$dbmate" --version)"
else
	echo "dbmate: not installed (npm missing or offline): its rows are skipped"
fi

# 1. Start-up: commands that do nothing, beside the shell's 'select 1'.
bench_startup() {
	mkdir startup && cd startup
	"$EXODB" -q db init && "$EXODB" -q db migrate -m "Initial user model" >/dev/null && "$EXODB" -q db upgrade
	mapfile -t m < <(paired 101 "sqlite3 instance/dev.db 'select 1'" \
	    "'$EXODB' db upgrade" "'$EXODB' db current")
	[ "${#m[@]}" -eq 3 ] || exit 1
	shell=${m[0]} up=${m[1]} cur=${m[2]}
	echo "start-up, paired medians of 101:"
	echo "  sqlite3 instance/dev.db 'select 1'   $shell ms"
	echo "  exodb db upgrade (at head)           $up ms ($(ratio "$up" "$shell") of the shell)"
	echo "  exodb db current                     $cur ms ($(ratio "$cur" "$shell") of the shell)"
	cd ..
}

# 2. A chain of N revisions, all applied: the commands that load it, beside
# dbmate on the same N migrations (its own files, same statements), the shell
# opening the database, the shell reading the history table, and reading and
# hashing the revision files. The databases are made with the shell at once:
# the same tables and history rows (checksum: the file's SHA-256) that
# 'db upgrade' writes. BENCH_N overrides the list of N.

# gen_revisions N: one chain of N revisions in migrations/versions and the
# same N migrations for dbmate in dbmate/, written by one awk.
gen_revisions() {
	mkdir -p dbmate
	awk -v n="$1" 'BEGIN {
		parent = "none"
		for (i = 1; i <= n; i++) {
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
	mkdir -p instance
	{
		echo "PRAGMA synchronous = OFF; BEGIN;"
		echo "CREATE TABLE exodb_revisions (
	id TEXT PRIMARY KEY,
	checksum TEXT NOT NULL,
	applied_at TEXT NOT NULL
);"
		sha256sum migrations/versions/*.sql | awk '{
			id = substr($2, length("migrations/versions/") + 1, 14)
			n = id + 0 - 20260101000000
			printf "CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\n", n
			printf "INSERT INTO exodb_revisions VALUES (\x27%s\x27, \x27%s\x27, \x272026-01-01T00:00:00.000Z\x27);\n", id, $1
		}'
		echo "COMMIT;"
	} | sqlite3 instance/dev.db
	cp instance/dev.db dbmate.db
	{
		echo "BEGIN; CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version varchar(128) primary key);"
		sqlite3 instance/dev.db "SELECT 'INSERT INTO schema_migrations VALUES (' || quote(id) || ');' FROM exodb_revisions"
		echo "DROP TABLE exodb_revisions; COMMIT;"
	} | sqlite3 dbmate.db
}

bench_chain() {
	declare -A chain
	echo "a chain of N revisions, all applied; paired medians of R rounds:"
	for n in ${BENCH_N:-10 100 1000 5000}; do
		case $n in
		10 | 100) r=21 ;;
		1000) r=11 ;;
		*) r=7 ;;
		esac
		mkdir "chain$n" && cd "chain$n"
		"$EXODB" -q db init
		gen_revisions "$n"
		applied_db
		# The head is what the shell built: exodb agrees before anything is timed.
		[ "$("$EXODB" -q db current | cut -d ' ' -f 1)" = "$(printf '2026010100%04d' "$n")" ] ||
		    { echo "bench: db current at N=$n: $("$EXODB" db current 2>&1)" >&2; exit 1; }
		cmds=("'$EXODB' db upgrade" "'$EXODB' db current" "'$EXODB' db history"
		    "'$EXODB' db heads" "sqlite3 instance/dev.db 'select 1'"
		    "sqlite3 instance/dev.db 'SELECT * FROM exodb_revisions ORDER BY id'"
		    "cat migrations/versions/*.sql | sha256sum")
		if [ -n "$dbmate" ]; then
			cmds+=("'$dbmate' --url sqlite:dbmate.db --migrations-dir dbmate --no-dump-schema up"
			    "'$dbmate' --url sqlite:dbmate.db --migrations-dir dbmate status")
		fi
		mapfile -t m < <(paired "$r" "${cmds[@]}")
		[ "${#m[@]}" -eq "${#cmds[@]}" ] || exit 1
		for i in "${!m[@]}"; do
			chain[$n,$i]=${m[$i]}
		done
		up=${m[0]} cur=${m[1]} hist=${m[2]} heads=${m[3]} sel=${m[4]} shist=${m[5]} hash=${m[6]}
		floors=("'select 1'" "$sel" "hashing" "$hash")
		echo "N = $n, R = $r:"
		if [ -n "$dbmate" ]; then
			dup=${m[7]} dst=${m[8]}
			row "exodb db upgrade (nothing to do)" "$up" "${floors[@]}" "dbmate up" "$dup"
			row "exodb db current" "$cur" "${floors[@]}" "dbmate status" "$dst"
			row "exodb db history" "$hist" "${floors[@]}" "dbmate status" "$dst" \
			    "the shell reading the history" "$shist"
			row "exodb db heads" "$heads" "${floors[@]}" "dbmate status" "$dst"
			row "dbmate up (nothing to do)" "$dup" "'select 1'" "$sel"
			row "dbmate status" "$dst" "'select 1'" "$sel"
		else
			row "exodb db upgrade (nothing to do)" "$up" "${floors[@]}"
			row "exodb db current" "$cur" "${floors[@]}"
			row "exodb db history" "$hist" "${floors[@]}" \
			    "the shell reading the history" "$shist"
			row "exodb db heads" "$heads" "${floors[@]}"
		fi
		row "sqlite3 dev.db 'select 1'" "$sel"
		row "the shell reading the history" "$shist"
		row "cat versions/*.sql | sha256sum" "$hash"
		cd ..
		rm -rf "chain$n"
	done
	echo "from 1,000 to 5,000 revisions (linear is 5x):"
	names=("exodb db upgrade" "exodb db current" "exodb db history" "exodb db heads"
	    "sqlite3 'select 1'" "the shell reading the history" "cat | sha256sum"
	    "dbmate up" "dbmate status")
	for i in "${!names[@]}"; do
		[ -n "${chain[5000,$i]:-}" ] && [ -n "${chain[1000,$i]:-}" ] || continue
		printf '  %-34s %s\n' "${names[$i]}" "$(ratio "${chain[5000,$i]}" "${chain[1000,$i]}")"
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
	mapfile -t m < <(paired 5 "${cmds[@]}")
	[ "${#m[@]}" -eq "${#cmds[@]}" ] || exit 1
	shell=${m[0]} shell1=${m[1]} ex=${m[2]}
	echo "200 small revisions on a fresh database, paired medians of 5:"
	row "sqlite3 shell, one commit each" "$shell"
	row "sqlite3 shell, one transaction" "$shell1" "one commit each" "$shell"
	row "exodb db upgrade" "$ex" "the shell committing each" "$shell" \
	    "one transaction" "$shell1"
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
bench_rebuild() {
	mkdir rebuild && cd rebuild
	"$EXODB" -q db init
	"$EXODB" -q db migrate -m "Initial user model" >/dev/null
	"$EXODB" -q db upgrade
	sqlite3 instance/dev.db "DROP TABLE users;
	CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL, email VARCHAR(120) NOT NULL, password_hash VARCHAR(256) NOT NULL, role VARCHAR(20) DEFAULT 'member', is_approved BOOLEAN NOT NULL DEFAULT 0);
	WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000)
	INSERT INTO users (username, email, password_hash, role) SELECT 'user' || n, 'u' || n || '@example.org', '\$argon2id\$v=19\$m=65536,t=3,p=4\$' || hex(randomblob(16)) || '\$' || hex(randomblob(32)), 'user' FROM c;
	CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
	CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);"
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
	"$EXODB" -q db init && "$EXODB" -q db migrate -m "Initial user model" >/dev/null && "$EXODB" -q db upgrade
	sqlite3 instance/dev.db "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000)
INSERT INTO users (username, email, password_hash, role, is_approved) SELECT 'user' || n, 'u' || n || '@example.org', '\$argon2id\$v=19\$m=65536,t=3,p=4\$' || hex(randomblob(16)) || '\$' || hex(randomblob(32)), CASE WHEN n % 10 = 0 THEN 'admin' ELSE 'user' END, n % 3 = 0 FROM c;"
	q="SELECT id, username, email, role, CASE WHEN is_approved THEN 'yes' ELSE 'no' END FROM users ORDER BY id"
	cmds=("'$EXODB' user list" "sqlite3 -list instance/dev.db \"$q\""
	    "'$EXODB' user list --json" "sqlite3 -json instance/dev.db \"$q\"")
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

# Every section, or those named: tests/bench.sh chain list
for section in "${@:-startup chain apply rebuild list create}"; do
	for s in $section; do
		if ! declare -F "bench_$s" >/dev/null; then
			echo "bench: no section '$s'; sections: startup chain apply rebuild list create" >&2
			exit 2
		fi
		"bench_$s"
	done
done
