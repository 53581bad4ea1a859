# End-to-end test library: sourced by tests/cli-*.sh, which define functions
# named t_<name> and end with run_tests. Each test runs in a subshell, in a
# fresh temporary folder, against the binary $EXODB; an assertion that fails
# prints why and ends that test.
set -u
: "${EXODB:?set EXODB to the exodb binary}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
unset EXODB_DATABASE VISUAL EDITOR
root=$(mktemp -d "${TMPDIR:-/tmp}/exodb-cli.XXXXXX")
trap 'chmod -R u+rwX "$root" 2>/dev/null; rm -rf "$root"' EXIT

fail() {
	echo "FAIL: $*"
	if [ -f "$T/.out" ]; then
		echo "--- stdout"; head -c 2000 "$T/.out"
		echo "--- stderr"; head -c 2000 "$T/.err"
	fi
	exit 1
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

seed() {
	x db init && expect_ok
	x db migrate -m "Initial user model" && expect_ok
	x db upgrade && expect_ok
}

run_tests() {
	local fn passed=0 failed=0 name
	name=$(basename "$0")
	# ONLY=PATTERN runs the tests whose names match, when debugging.
	for fn in $(declare -F | awk '{print $3}' | grep '^t_' | grep -E -- "${ONLY:-.}"); do
		T="$root/$fn"
		mkdir "$T"
		(cd "$T" && $fn) 3>&1 >"$root/$fn.log" 2>&1
		if [ $? -eq 0 ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL $name: $fn"
			sed 's/^/    /' "$root/$fn.log" | head -n 40
		fi
	done
	echo "$name: $passed passed, $failed failed"
	[ $failed -eq 0 ]
}
