#!/usr/bin/env bash
# Benchmarks behind the figures in the issues, each beside the sqlite3 shell
# doing the same work in the same run. Prints medians; asserts nothing (no
# timing belongs in a test). Usage: EXODB=./exodb tests/bench.sh
set -eu
: "${EXODB:?set EXODB to the exodb binary}"
EXODB=$(cd "$(dirname "$EXODB")" && pwd)/$(basename "$EXODB")
# Revision files are written by exodb's own formatter (make builds it).
REVISION_FILE=${REVISION_FILE:-$(cd "$(dirname "$0")/.." && pwd)/build/tests/revision-file}
dir=$(mktemp -d "${TMPDIR:-/tmp}/exodb-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# median_ms N SETUP CMD: run SETUP then time CMD, N times; the median in ms.
median_ms() {
	local n=$1 setup=$2 cmd=$3 i t0 t1
	for i in $(seq "$n"); do
		eval "$setup"
		t0=$(now_us)
		eval "$cmd" >/dev/null 2>&1
		t1=$(now_us)
		echo $((t1 - t0))
	done | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo "exodb $("$EXODB" -V | cut -d ' ' -f 2-), $(nproc) cores"

# 1. Start-up: commands that do nothing, beside the shell's 'select 1'.
mkdir startup && cd startup
"$EXODB" -q db init && "$EXODB" -q db migrate -m "Initial user model" >/dev/null && "$EXODB" -q db upgrade
shell=$(median_ms 101 : "sqlite3 instance/dev.db 'select 1'")
up=$(median_ms 101 : "'$EXODB' db upgrade")
cur=$(median_ms 101 : "'$EXODB' db current")
echo "start-up, median of 101:"
echo "  sqlite3 instance/dev.db 'select 1'   $shell ms"
echo "  exodb db upgrade (at head)           $up ms ($(ratio "$up" "$shell") of the shell)"
echo "  exodb db current                     $cur ms ($(ratio "$cur" "$shell") of the shell)"
cd ..

# 2. Applying 200 small revisions to a fresh database, beside the shell
# running the same 200 statements with one commit each.
mkdir apply && cd apply
"$EXODB" -q db init
parent=none
: >statements.sql
for i in $(seq 200); do
	id=$(printf '2026010100%04d' "$i")
	sql="CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t$i (v) VALUES ('row $i');"
	"$REVISION_FILE" migrations/versions "$id" "$parent" "r$i" "r$i" "$sql" "DROP TABLE t$i;"
	printf 'BEGIN;\n%s\nCOMMIT;\n' "$sql" >>statements.sql
	parent=$id
done
shell=$(median_ms 11 "rm -f shell.db" "sqlite3 shell.db < statements.sql")
ex=$(median_ms 11 "rm -rf instance" "'$EXODB' db upgrade")
echo "200 small revisions on a fresh database, median of 11:"
echo "  sqlite3 shell, one commit each       $shell ms"
echo "  exodb db upgrade                     $ex ms ($(ratio "$ex" "$shell") of the shell)"
cd ..

# 3. Rebuilding a 1,000,000-row users table, beside the shell running the
# same script (exodb's own --sql output: same statements and history rows).
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

# 4. One user create, at the default Argon2id cost and at the test floor.
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
