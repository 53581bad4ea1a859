# End-to-end test library: sourced by tests/cli-*.sh, which define functions
# named t_<name> and end with run_tests. Each test runs in a subshell, in a
# fresh temporary folder, against the binary $EXODB; an assertion that fails
# prints why and ends that test, even from inside $(...) or a pipeline. A
# script's arguments, if any, name the tests to run (extended regular
# expressions matched against the whole name): bash tests/cli-user.sh 't_tty_.*'
set -u
only=("$@")
: "${EXODB:?set EXODB to the exodb binary}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
unset EXODB_DATABASE EXODB_MODEL VISUAL EDITOR
# Tests poll for a condition (they never sleep to synchronise) up to a limit
# that SLOW multiplies: CK_TIMEOUT_MULTIPLIER, which Check reads for the unit
# tests too. make valgrind sets it to 30, as memcheck runs exodb some 30 times
# slower, and sets EXODB_VALGRIND=1 for what no wait can adapt: a test
# that builds a big table uses a smaller one, a loop runs fewer rounds (the
# Makefile lists them above its valgrind target). EXODB_TIMES=FILE appends
# each test's name, seconds and exit status to FILE.
# shellcheck disable=SC2034 # the scripts that source this use it
SLOW=${CK_TIMEOUT_MULTIPLIER:-1}
root=$(mktemp -d "${TMPDIR:-/tmp}/exodb-cli.XXXXXX")
trap 'chmod -R u+rwX "$root" 2>/dev/null; rm -rf "$root"' EXIT
# The cache of the replayed chain (src/chain-cache.c) goes here, not into
# the home of whoever runs the tests.
export XDG_CACHE_HOME="$root/.cache"

# end_test SIGNAL STATUS: end the test with STATUS. From a subshell of the
# test (a command substitution, a pipeline), signal the test's own shell,
# whose trap exits with that status once the subshell is gone.
end_test() {
	[ "$BASHPID" = "${TEST_PID:-$BASHPID}" ] || kill -"$1" "$TEST_PID"
	exit "$2"
}

# fail MESSAGE: the test fails. The message and the last command's outputs
# go to the test's log (fd 4), not to a $(...) that called fail.
fail() {
	{
		echo "FAIL: $*"
		if [ -f "${T:-}/.out" ]; then
			echo "--- stdout"; head -c 2000 "$T/.out"
			echo "--- stderr"; head -c 2000 "$T/.err"
		fi
	} >&4
	end_test USR1 1
}

# skip REASON: the test cannot run here and is counted as skipped. Not for a
# missing program: see need.
skip() {
	echo "SKIP: $*" >&4
	end_test USR2 77
}

# need PROGRAM...: fail (never skip) when a program the test runs is
# missing: scripts/install-deps installs every one of them.
need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 ||
		    fail "$p is missing: scripts/install-deps installs it (make deps)"
	done
}

# run CMD...: run a command, keeping its stdout, stderr and status.
run() {
	"$@" >"$T/.out" 2>"$T/.err" </dev/null
	rc=$?
	return 0
}

# x ARGS...: run exodb.
x() {
	run "$EXODB" "$@"
}

# info MESSAGE: a line for the test report (figures a test measured).
info() {
	echo "  $*" >&3
}

out() { cat "$T/.out"; }
err() { cat "$T/.err"; }

expect_status() {
	[ "$rc" -eq "$1" ] || fail "exit status $rc, wanted $1"
}

# expect_ok: exit 0 and no "exodb:" error line.
expect_ok() {
	expect_status 0
	! grep -q '^exodb: ' "$T/.err" || fail "error output on success"
}

expect_out() {
	grep -Eq -- "$1" "$T/.out" || fail "stdout lacks /$1/"
}

expect_no_out() {
	! grep -Eq -- "$1" "$T/.out" || fail "stdout has /$1/"
}

expect_err() {
	grep -Eq -- "$1" "$T/.err" || fail "stderr lacks /$1/"
}

# expect_one_error PATTERN: stderr is exactly one line, "exodb: ...", matching.
expect_one_error() {
	[ "$(wc -l <"$T/.err")" -eq 1 ] || fail "stderr is not one line"
	grep -Eq '^exodb: [^ ].*: ' "$T/.err" || fail "stderr is not 'exodb: what: why'"
	grep -Eq -- "$1" "$T/.err" || fail "stderr lacks /$1/"
}

# The state of the folder: every path, type, mode, size and content digest.
snapshot() {
	(cd "$T" && find . -path ./.out -prune -o -path ./.err -prune -o \
	    -path ./.snap -prune -o -printf '%p %y %m %s\n' | sort
	 cd "$T" && find . -type f ! -name .out ! -name .err ! -name .snap \
	    -exec sha256sum {} + 2>/dev/null | sort -k 2) >"$T/.snap"
}

expect_unchanged() {
	local before
	before=$(cat "$T/.snap")
	snapshot
	[ "$before" = "$(cat "$T/.snap")" ] || {
		diff <(echo "$before") "$T/.snap" | head -n 20
		fail "the folder changed"
	}
}

# bad STATUS PATTERN ARGS...: exodb fails with that status and one error line,
# and the folder is as it was.
bad() {
	local status=$1 pattern=$2
	shift 2
	snapshot
	x "$@"
	expect_status "$status"
	expect_one_error "$pattern"
	expect_unchanged
}

# q DB SQL: one value from the sqlite3 shell.
q() {
	sqlite3 "$1" "$2"
}

# rev ID PARENTS UP DOWN [SLUG [MESSAGE]]: write the revision file
# migrations/versions/ID_SLUG.sql (SLUG "hand" unless given; MESSAGE the slug
# unless given) with exodb's own formatter. PARENTS is "none" or ids.
REVISION_FILE=${REVISION_FILE:-$TOP/build/tests/revision-file}
rev() {
	"$REVISION_FILE" migrations/versions "$1" "$2" "${5:-hand}" \
	    "${6:-${5:-hand}}" "$3" "$4" || fail "rev $1: cannot write"
}

seed() {
	x db init && expect_ok
	x db migrate -m "Initial user model" && expect_ok
	x db upgrade && expect_ok
}

# Selected by the script's arguments, if any.
selected() {
	local re
	[ ${#only[@]} -gt 0 ] || return 0
	for re in "${only[@]}"; do
		[[ $1 =~ ^($re)$ ]] && return 0
	done
	return 1
}

# Run every test; the last line is "NAME: N passed, N failed, N skipped".
run_tests() {
	local fn passed=0 failed=0 skipped=0 name status start
	name=$(basename "$0")
	for fn in $(declare -F | awk '{print $3}' | grep '^t_'); do
		selected "$fn" || continue
		T="$root/$fn"
		mkdir "$T"
		start=$SECONDS
		# Names make valgrind's report files (see the Makefile).
		export EXODB_TEST="$name.$fn"
		(TEST_PID=$BASHPID
		 trap 'exit 1' USR1
		 trap 'exit 77' USR2
		 cd "$T" && $fn) 3>&1 >"$root/$fn.log" 2>&1 4>&1
		status=$?
		[ -z "${EXODB_TIMES:-}" ] ||
		    echo "$name $fn $((SECONDS - start)) s, exit $status" >>"$EXODB_TIMES"
		if [ $status -eq 0 ]; then
			passed=$((passed + 1))
		elif [ $status -eq 77 ]; then
			skipped=$((skipped + 1))
			echo "skipped $name: $fn: $(sed -n 's/^SKIP: //p' "$root/$fn.log")"
		else
			failed=$((failed + 1))
			echo "FAIL $name: $fn"
			sed 's/^/    /' "$root/$fn.log" | head -n 40
		fi
	done
	echo "$name: $passed passed, $failed failed, $skipped skipped"
	[ $failed -eq 0 ]
}

# hold MODE: a python3 holds a MODE transaction (EXCLUSIVE or IMMEDIATE) on
# instance/dev.db until release; this returns once it holds it.
hold() {
	need /usr/bin/python3
	mkfifo "$T/.ctl" "$T/.ready"
	/usr/bin/python3 -c '
import sqlite3, sys
c = sqlite3.connect("instance/dev.db", isolation_level=None)
c.execute("BEGIN " + sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
c.rollback()
' "$1" <"$T/.ctl" >"$T/.ready" &
	HOLDER=$!
	exec 7>"$T/.ctl"
	read -r line <"$T/.ready" || fail "the holder did not start"
	[ "$line" = ready ] || fail "holder: $line"
}

release() {
	exec 7>&-
	wait "$HOLDER" || fail "the holder failed"
}
