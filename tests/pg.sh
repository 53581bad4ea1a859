# A throwaway PostgreSQL cluster for the test script that sources this, after
# tests/lib.sh: initdb in a temporary folder (as nobody when run as root,
# since the server refuses to run as root), trust authentication, a Unix
# socket in that folder and no TCP port; started here, stopped and removed
# when the script exits. pg_db gives each test a database of its own.
#
# The server's programs are found with pg_config --bindir (Debian's
# /usr/lib/postgresql/15/bin), never in PATH. Without them the script fails
# with one line saying so: a missing PostgreSQL is a failure, never a skip.

pg_missing() {
	echo "FAIL $(basename "$0"): $*: scripts/install-deps installs PostgreSQL 15 (make deps)" >&2
	exit 1
}

command -v pg_config >/dev/null 2>&1 || pg_missing "pg_config is missing"
PG_BIN=$(pg_config --bindir) || pg_missing "pg_config --bindir failed"
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ] ||
    pg_missing "no initdb, pg_ctl and psql in $PG_BIN"
export PG_BIN

# Short, so that the socket's path fits in sun_path.
PG_DIR=$(mktemp -d /tmp/exodb-pg.XXXXXX) || pg_missing "cannot make a folder"
if [ "$(id -u)" -eq 0 ]; then
	chown 65534:65534 "$PG_DIR"
	pg_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	pg_as=()
fi

pg_stop() {
	"${pg_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop \
	    >/dev/null 2>&1
	rm -rf "$PG_DIR"
}
# lib.sh's trap removes the tests' folder: this one stops the server first.
# shellcheck disable=SC2154 # root is lib.sh's
trap 'pg_stop; chmod -R u+rwX "$root" 2>/dev/null; rm -rf "$root"' EXIT

# fsync off: a test cluster need not survive a crash of the machine.
"${pg_as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U exodb --auth=trust \
    -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
    pg_missing "initdb failed ($(tail -n 1 "$PG_DIR/initdb.log"))"
"${pg_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses='' -k $PG_DIR -c fsync=off" start >/dev/null 2>&1 ||
    pg_missing "the server did not start ($(tail -n 1 "$PG_DIR/log"))"

# pg_db: a new, empty database for this test (named after it); sets PGNAME
# and DB, the URI exodb is given.
pg_db() {
	PGNAME=$(basename "$T")
	"$PG_BIN/psql" -X -q -h "$PG_DIR" -U exodb -d postgres \
	    -c "CREATE DATABASE \"$PGNAME\"" >/dev/null 2>&1 ||
	    fail "cannot create the database $PGNAME"
	# shellcheck disable=SC2034 # the scripts that source this use it
	DB="postgresql:///$PGNAME?host=$PG_DIR&user=exodb"
}

# pq SQL: the values a query returns, unaligned, from psql on this test's
# database.
pq() {
	"$PG_BIN/psql" -X -qAt -h "$PG_DIR" -U exodb -d "$PGNAME" -c "$1"
}

# p ARGS...: exodb on this test's PostgreSQL database.
p() {
	x -D "$DB" "$@"
}

# pgrev ID PARENTS UP DOWN: a revision file with PostgreSQL sections only.
pgrev() {
	mkdir -p migrations/versions
	printf -- '-- exodb revision\n-- id: %s\n-- revises: %s\n-- message: rev %s\n-- created: 2026-01-01T00:00:00Z\n\n-- +upgrade postgresql\n%s\n\n-- +downgrade postgresql\n%s\n' \
	    "$1" "$2" "$1" "$3" "$4" >"migrations/versions/$1_rev.sql" ||
	    fail "pgrev $1: cannot write"
}

# pg_seed: this test's database, with the committed model's revision (both
# dialects, written by db migrate on SQLite) applied on the server.
pg_seed() {
	pg_db
	x db init
	expect_ok
	x db migrate -m "Initial user model"
	expect_ok
	p db upgrade
	expect_ok
}
