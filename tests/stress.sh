#!/bin/bash
# Stress: random SIGKILLs during an upgrade chain of STEPS rebuilds of a
# ROWS-row users table, then CONCURRENT upgrades racing for one database.
#   KILLS=N	kills (default 1000)
#   ROWS=N	rows in users (default 200000)
#   STEPS=N	rebuilds in the chain (default 12)
#   ROUNDS=N	rounds of each concurrency level (default 200)
#   LEVELS="2 8"	how many upgrades race in each round
# After every kill: integrity_check ok, every row still there, the history a
# prefix of the chain and the users table exactly what that prefix makes;
# the next run carries on. After every race: every upgrade exited 0, each
# revision applied once, the database at head.
set -u
: "${EXODB:?set EXODB to the exodb binary}"
KILLS=${KILLS:-1000}
ROWS=${ROWS:-200000}
STEPS=${STEPS:-12}
ROUNDS=${ROUNDS:-200}
LEVELS=${LEVELS:-2 8}
root=$(mktemp -d "${TMPDIR:-/tmp}/exodb-stress.XXXXXX")
trap 'rm -rf "$root"' EXIT
cd "$root" || exit 1

die() { echo "stress: FAIL: $*"; exit 1; }
q() { sqlite3 instance/dev.db "$1"; }

"$EXODB" -q db init || die init
"$EXODB" -q db migrate -m init >/dev/null || die migrate
parent=$(ls migrations/versions | cut -c 1-14)
cols="id, username, email, password_hash, role, is_approved"
for i in $(seq 1 "$STEPS"); do
	id=$(printf '2999010100%04d' "$i")
	new="$cols"
	defs=""
	for j in $(seq 1 "$i"); do
		defs="$defs, s$j INTEGER NOT NULL DEFAULT $j"
		[ "$j" -lt "$i" ] && new="$new, s$j"
	done
	cat >"migrations/versions/${id}_step$i.sql" <<SQL
-- exodb revision
-- id: $id
-- revises: $parent
-- message: step $i
-- created: 2999-01-01T00:00:00Z

-- +upgrade
CREATE TABLE exodb_new_users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
	is_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1))$defs
);
INSERT INTO exodb_new_users ($new) SELECT $new FROM users;
DROP TABLE users;
ALTER TABLE exodb_new_users RENAME TO users;
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);

-- +downgrade
SQL
	parent=$id
done
"$EXODB" -q db upgrade "$(ls migrations/versions | head -n 1 | cut -c 1-14)" || die "first upgrade"
q "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $ROWS)
   INSERT INTO users (username, email, password_hash) SELECT 'u' || n, 'u' || n || '@x.org', 'h' || n FROM c" || die rows
cp instance/dev.db pristine.db
base_cols=$(q "SELECT count(*) FROM pragma_table_info('users')")

# One full upgrade, to time the kills.
start=$(date +%s%N)
"$EXODB" -q db upgrade || die "upgrade"
span=$((($(date +%s%N) - start) / 1000000))
echo "stress: a $STEPS-step upgrade of $ROWS rows takes $span ms"

check_state() {
	local applied ncols
	[ "$(q 'PRAGMA integrity_check')" = ok ] || die "kill $1: integrity_check"
	[ "$(q 'SELECT count(*) FROM users')" = "$ROWS" ] || die "kill $1: rows"
	applied=$(q "SELECT count(*) FROM exodb_revisions") || die "kill $1: history"
	ncols=$(q "SELECT count(*) FROM pragma_table_info('users')")
	[ "$ncols" -eq $((base_cols + applied - 1)) ] || die "kill $1: $applied revisions applied but $ncols columns"
	[ "$applied" -eq 1 ] ||
	    [ "$(q "SELECT count(*) FROM users WHERE s$((applied - 1)) IS NOT $((applied - 1))")" = 0 ] ||
	    die "kill $1: column values"
}

cp pristine.db instance/dev.db
kills=0 finished=0
while [ "$kills" -lt "$KILLS" ]; do
	"$EXODB" -q db upgrade 2>/dev/null &
	pid=$!
	# A random moment within the run; not a synchronisation.
	sleep "$(awk -v s="$RANDOM" -v span="$span" 'BEGIN { srand(s); printf "%.3f", rand() * span / 1000 }')"
	killed=0
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
		killed=1
	fi
	wait "$pid" 2>/dev/null
	check_state "$kills"
	if [ "$(q 'SELECT count(*) FROM exodb_revisions')" -eq $((STEPS + 1)) ]; then
		finished=$((finished + 1))
		cp pristine.db instance/dev.db
		rm -f instance/dev.db-journal
	fi
	[ "$killed" -eq 1 ] && [ $((kills % 50)) -eq 0 ] &&
	    echo "stress: $kills kills, $finished chains finished"
done
"$EXODB" -q db upgrade || die "the run after the last kill"
check_state final
echo "stress: $kills kills during the upgrade: every state consistent, $finished chains finished"

# Concurrent upgrades of a small chain from base.
for n in $LEVELS; do
	for r in $(seq 1 "$ROUNDS"); do
		rm -f race.db race.db-journal
		pids=""
		for i in $(seq 1 "$n"); do
			"$EXODB" -q -D race.db db upgrade >"race.$i.err" 2>&1 &
			pids="$pids $!"
		done
		for p in $pids; do
			wait "$p" || die "$n concurrent, round $r: an upgrade failed: $(cat race.*.err)"
		done
		[ "$(sqlite3 race.db 'SELECT count(*) FROM exodb_revisions')" = $((STEPS + 1)) ] ||
		    die "$n concurrent, round $r: history"
		[ "$(sqlite3 race.db 'PRAGMA integrity_check')" = ok ] || die "$n concurrent, round $r: integrity"
	done
	echo "stress: $n concurrent upgrades x $ROUNDS rounds: all at head, each revision once"
done
