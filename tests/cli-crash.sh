# Crash safety and concurrency of db upgrade: a revision killed with SIGKILL
# at a random moment leaves the database wholly before or wholly after it, and
# two upgrades started together apply each revision once.
. "$(dirname "$0")/lib.sh"

# A repository at its first revision, plus a second revision that does real
# work (a table of $1 rows, an index, an update of users), and a copy of the
# database at the first revision in pristine.db.
setup_work() {
	local rows=$1 id
	seed
	q instance/dev.db "INSERT INTO users (username, email, password_hash) VALUES ('alice', 'a@x.org', 'h')"
	id=$(ls migrations/versions | cut -c 1-14)
	rev 29990101000000 "$id" "CREATE TABLE work (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $rows)
INSERT INTO work (v) SELECT hex(randomblob(16)) FROM c;
CREATE INDEX work_v ON work (v);
UPDATE users SET role = 'admin';" "DROP TABLE work;
UPDATE users SET role = 'user';" work
	cp instance/dev.db pristine.db
}

# The state of the database: "before", "after" or something else.
state() {
	local db=$1 ok tables hist role rows
	ok=$(q "$db" "PRAGMA integrity_check")
	[ "$ok" = ok ] || { echo "integrity: $ok"; return; }
	tables=$(q "$db" "SELECT count(*) FROM sqlite_schema WHERE name IN ('work', 'work_v')")
	hist=$(q "$db" "SELECT count(*) FROM exodb_revisions WHERE id = '29990101000000'")
	role=$(q "$db" "SELECT role FROM users")
	if [ "$tables$hist$role" = "00user" ]; then
		echo before
	elif [ "$tables$hist$role" = "21admin" ]; then
		rows=$(q "$db" "SELECT count(*) FROM work")
		[ "$rows" = "$2" ] && echo after || echo "after with $rows rows"
	else
		echo "torn: tables=$tables history=$hist role=$role"
	fi
}

now_ms() {
	date +%s%3N
}

# Under valgrind: 20,000 rows and 10 kills. Its pace keeps the transaction
# most of the run (the kills are spread over a whole run), and one run costs
# what fifty do without it.
t_kill_9_at_random_moments() {
	local rows=300000 kills=50 i t0 full delay pid s before=0 after=0 hot=0
	[ -z "${EXODB_VALGRIND:-}" ] || { rows=20000; kills=10; }
	setup_work $rows
	# How long an uninterrupted run takes, to spread the kills over it.
	t0=$(now_ms)
	x db upgrade; expect_ok
	full=$(( $(now_ms) - t0 ))
	[ "$(state instance/dev.db $rows)" = after ] || fail "full run: $(state instance/dev.db $rows)"
	for i in $(seq "$kills"); do
		cp pristine.db instance/dev.db
		rm -f instance/dev.db-journal
		delay=$(( RANDOM % (full + full / 5 + 1) ))
		"$EXODB" -q db upgrade >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ -e instance/dev.db-journal ] && hot=$((hot + 1))
		s=$(state instance/dev.db $rows)
		case $s in
		before) before=$((before + 1)) ;;
		after) after=$((after + 1)) ;;
		*) fail "run $i (killed after ${delay} ms): $s" ;;
		esac
		# The next run finishes the job.
		x db upgrade; expect_ok
		[ "$(state instance/dev.db $rows)" = after ] || fail "run $i: recovery"
	done
	info "$kills kills over a ${full} ms revision: $before before, $after after, $hot with a hot journal"
	[ $hot -gt 0 ] || fail "no kill landed inside the transaction"
}

# Under valgrind, 10 rounds: its pace alone keeps the first upgrade's
# transaction open long enough for the second to meet it.
t_two_upgrades_at_once() {
	local i rows=20000 rounds=20 pa pb ra rb
	[ -z "${EXODB_VALGRIND:-}" ] || rounds=10
	setup_work $rows
	for i in $(seq "$rounds"); do
		cp pristine.db instance/dev.db
		"$EXODB" db upgrade >"$T/a.out" 2>"$T/a.err" &
		pa=$!
		"$EXODB" db upgrade >"$T/b.out" 2>"$T/b.err" &
		pb=$!
		wait $pa; ra=$?
		wait $pb; rb=$?
		[ $ra -eq 0 ] && [ $rb -eq 0 ] || fail "round $i: exit $ra and $rb: $(cat "$T/a.err" "$T/b.err")"
		[ "$(state instance/dev.db $rows)" = after ] || fail "round $i: $(state instance/dev.db $rows)"
		[ "$(cat "$T/a.err" "$T/b.err" | grep -c '^applied 29990101000000 ')" = 1 ] ||
		    fail "round $i: applied by both or neither"
	done
}

t_two_upgrades_on_a_fresh_database() {
	local i pa pb ra rb
	x db init
	x db migrate -m "Initial user model"
	for i in $(seq 10); do
		rm -rf instance
		"$EXODB" db upgrade 2>"$T/a.err" & pa=$!
		"$EXODB" db upgrade 2>"$T/b.err" & pb=$!
		wait $pa; ra=$?
		wait $pb; rb=$?
		[ $ra -eq 0 ] && [ $rb -eq 0 ] || fail "round $i: exit $ra and $rb: $(cat "$T/a.err" "$T/b.err")"
		[ "$(q instance/dev.db "SELECT count(*) FROM exodb_revisions")" = 1 ] || fail "round $i: history"
	done
}

run_tests
