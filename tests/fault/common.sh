# What the fault and kill tests (tests/cli-fault.sh, tests/cli-kill.sh)
# share: the starting point they break runs from, and how a database's
# content is compared. Sourced after tests/lib.sh.

# The logical content of a database: its dump, with times and password
# hashes (salted at random) masked.
state() {
	sqlite3 "$1" .dump | sed -E \
	    -e "s/'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z'/'TIME'/g" \
	    -e 's/\$argon2id\$[^'"'"']*/HASH/g'
}

rev() {
	local id=$1 parent=$2 name=$3 up=$4 down=$5
	cat >"migrations/versions/${id}_$name.sql" <<SQL
-- exodb revision
-- id: $id
-- revises: $parent
-- message: $name
-- created: 2026-01-01T00:00:00Z

-- +upgrade
$up

-- +downgrade
$down
SQL
}

REBUILD="CREATE TABLE exodb_new_users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256) NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
	is_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1))
);
INSERT INTO exodb_new_users (id, username, email, password_hash, role, is_approved)
	SELECT id, username, email, password_hash, role, is_approved FROM users;
DROP TABLE users;
ALTER TABLE exodb_new_users RENAME TO users;
CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);"

# The starting point in base/: the model's revision applied, 40 users, and
# (with "chain") two more revisions on disk: a rebuild of users and a new
# table with an index.
setup() {
	mkdir base && cd base || exit 1
	x db init; expect_ok
	x db migrate -m init; expect_ok
	x db upgrade; expect_ok
	q instance/dev.db "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 40)
	    INSERT INTO users (username, email, password_hash) SELECT 'u' || n, 'u' || n || '@x.org', 'h' || n FROM c;
	    INSERT INTO users (username, email, password_hash) VALUES ('bob', 'bob@x.org', 'h')"
	if [ "${1-}" = chain ]; then
		r1=$(ls migrations/versions | cut -c 1-14)
		rev 29990101000001 "$r1" rebuild "$REBUILD" "$REBUILD"
		rev 29990101000002 29990101000001 notes \
		    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX ix_notes_body ON notes (body);" \
		    "DROP TABLE notes;"
	fi
	cd .. || exit 1
}

