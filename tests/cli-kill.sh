# Kill points: a preloaded library (tests/fault/shim.c) sends SIGKILL to
# exodb just before its k-th write, pwrite, fsync, fdatasync, ftruncate,
# unlink or rename, for every k until a run no longer reaches k. After each
# kill the database must be wholly as before, wholly as after or between two
# revisions (each in its own transaction), pass integrity_check, and the next
# run must finish the job. The same library then makes write, fsync and
# linkat fail while a revision file is written: versions/ gets the whole file
# or nothing, and never a stray temporary file.
# KILL_STRIDE=N tries every Nth k only.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/fault/common.sh"

SHIM=${EXODB_SHIM_SO:-$TOP/build/tests/exodb-shim.so}
STRIDE=${KILL_STRIDE:-1}
export EXODB_ARGON2_COST="m=19456,t=2,p=1"
CALLS=write,pwrite,fsync,fdatasync,ftruncate,unlink,rename

[ -f "$SHIM" ] || { echo "cli-kill.sh: $SHIM not built"; exit 1; }

# shim SPEC ARGS...: run exodb ARGS in w/ with the library acting as SPEC.
shim() {
	local spec=$1 input=$2
	shift 2
	: >w/.log
	(cd w && printf '%s' "$input" | EXODB_SHIM="$spec" EXODB_SHIM_LOG=.log \
	    LD_PRELOAD="$SHIM" "$EXODB" -q "$@" >.out 2>.err)
	rc=$?
}

# kills NAME INPUT STEP ARGS...: as inject in cli-fault.sh, with kills.
kills() {
	local name=$1 input=$2 step=$3 k runs=0 before after between="" now
	local failures=0
	shift 3
	before=$(state base/instance/dev.db)
	rm -rf ref && cp -a base ref
	(cd ref && printf '%s' "$input" | "$EXODB" "$@" >/dev/null 2>&1) || fail "$name: fails without a kill"
	after=$(state ref/instance/dev.db)
	if [ -n "$step" ]; then
		rm -rf ref && cp -a base ref
		for _ in 1 2 3 4 5 6 7 8 9; do
			# shellcheck disable=SC2086
			(cd ref && "$EXODB" $step >/dev/null 2>&1) || fail "$name: $step"
			between="$between$(state ref/instance/dev.db | sha256sum) "
			[ "$(state ref/instance/dev.db)" != "$after" ] || break
		done
	fi
	k=1
	while :; do
		rm -rf w && cp -a base w
		shim "kill:$CALLS:$k" "$input" "$@"
		runs=$((runs + 1))
		grep -q '^fired' w/.log || { [ "$rc" -eq 0 ] || fail "$name k=$k: exit $rc without a kill: $(cat w/.err)"; break; }
		why=""
		[ "$rc" -eq 137 ] || why="exit $rc, not killed"
		[ -z "$why" ] && [ "$(q w/instance/dev.db 'PRAGMA integrity_check')" != ok ] &&
		    why="integrity_check fails"
		if [ -z "$why" ]; then
			now=$(state w/instance/dev.db)
			[ "$now" = "$before" ] || [ "$now" = "$after" ] ||
			    case "$between" in
			    *"$(echo "$now" | sha256sum) "*) ;;
			    *) false ;;
			    esac || why="neither before nor after (nor between two revisions)"
		fi
		if [ -z "$why" ] && [ "$now" != "$after" ]; then
			(cd w && printf '%s' "$input" | "$EXODB" -q "$@" >.out 2>.err) ||
			    why="the next run fails: $(cat w/.err)"
			[ -z "$why" ] && [ "$(state w/instance/dev.db)" != "$after" ] &&
			    why="the next run does not finish the job"
		fi
		if [ -n "$why" ]; then
			echo "KILL $name k=$k: $why"
			failures=$((failures + 1))
		fi
		k=$((k + STRIDE))
	done
	info "$name: $runs kill runs over $((k - 1)) calls (every ${STRIDE}th k)"
	[ "$failures" -eq 0 ] || fail "$name: $failures failing kills"
}

t_kill_upgrade_with_rebuild() {
	setup chain
	kills "db upgrade" "" "db upgrade +1" db upgrade
}

t_kill_downgrade_with_rebuild() {
	setup chain
	(cd base && "$EXODB" db upgrade >/dev/null 2>&1) || fail "upgrade"
	r1=$(ls base/migrations/versions | head -n 1 | cut -c 1-14)
	kills "db downgrade" "" "db downgrade --no-backup -1" db downgrade --no-backup "$r1"
}

t_kill_stamp() {
	setup chain
	kills "db stamp" "" "" db stamp head
}

t_kill_user_create() {
	setup
	kills "user create" "correct horse battery" "" user create carol \
	    --email carol@x.org --password-stdin
}

t_kill_user_approve() {
	setup
	kills "user approve" "" "" user approve bob
}

# The revision files in w/migrations/versions, and whether each parses.
versions() {
	ls -A w/migrations/versions
}

# revfaults NAME FUNCS ARGS...: write a revision with the k-th of FUNCS
# failing (or the process killed), for every k.
revfaults() {
	local name=$1 action=$2 funcs=$3 k=1 runs=0 orig new failures=0
	shift 3
	orig=$(ls -A base/migrations/versions)
	while :; do
		rm -rf w && cp -a base w
		shim "$action:$funcs:$k" "" "$@"
		runs=$((runs + 1))
		grep -q '^fired' w/.log || { [ "$rc" -eq 0 ] || fail "$name k=$k: exit $rc without a fault: $(cat w/.err)"; break; }
		new=$(comm -13 <(echo "$orig") <(versions))
		why=""
		case "$action:$rc" in
		kill:137) ;;
		kill:*) why="exit $rc, not killed" ;;
		fail:0) [ "$(echo "$new" | grep -c .)" -eq 1 ] || why="exit 0 with new files: $new" ;;
		fail:*)
			[ -z "$new" ] || why="exit $rc with new files: $new"
			[ "$(wc -l <w/.err)" -le 1 ] || why="more than one error line" ;;
		esac
		if [ -z "$why" ] && [ "$action" = kill ]; then
			# A temporary file may stay (SIGKILL leaves no time to
			# remove it); it is hidden, and a new revision is whole.
			new=$(echo "$new" | grep -v '^\.exodb-[0-9]*\.tmp$' || true)
		fi
		if [ -z "$why" ] && [ -n "$new" ]; then
			(cd w && "$EXODB" db history >/dev/null 2>.err) || why="the new file does not load: $(cat w/.err)"
		fi
		if [ -n "$why" ]; then
			echo "REVISION $name $action k=$k: $why"
			failures=$((failures + 1))
		fi
		k=$((k + 1))
	done
	info "$name: $runs runs with $action at the k-th of $funcs"
	[ "$failures" -eq 0 ] || fail "$name: $failures failing runs"
}

t_revision_writing() {
	setup
	q base/instance/dev.db "CREATE INDEX ix_extra ON users (role)"
	# The index drifted: db baseline records it, file and history row, or
	# leaves neither when a write fails.
	revfaults "db baseline" fail write,fsync,linkat db baseline -m "keep the extra index"
	(cd base && "$EXODB" -q db baseline -m "keep the extra index" >/dev/null) || fail "baseline"
	revfaults "db migrate" fail write,fsync,linkat db migrate -m "drop the extra index"
	revfaults "db revision" fail write,fsync,linkat db revision -m "by hand"
	revfaults "db migrate" kill "$CALLS,linkat" db migrate -m "drop the extra index"
	revfaults "db revision" kill "$CALLS,linkat" db revision -m "by hand"
}

# The folder's fsync after the link is the last of db revision's fsyncs: if
# it fails, whether the name survives a crash is unknown, so the command fails
# and takes the file back rather than report a revision that may vanish.
t_revision_folder_sync_fails() {
	local orig n
	setup
	orig=$(ls -A base/migrations/versions)
	rm -rf w && cp -a base w
	shim fail:fsync:1000 "" db revision -m "by hand"
	[ "$rc" -eq 0 ] || fail "db revision without a fault: exit $rc"
	n=$(awk '/^calls/ {print $2}' w/.log)
	[ "$n" -ge 2 ] || fail "db revision makes $n fsync calls, not the file's and the folder's"
	rm -rf w && cp -a base w
	shim "fail:fsync:$n" "" db revision -m "by hand"
	grep -q '^fired' w/.log || fail "the folder's fsync was not reached"
	[ "$rc" -eq 1 ] || fail "exit $rc, not 1, when the folder's fsync fails"
	[ "$(wc -l <w/.err)" -eq 1 ] &&
	    grep -Eq '^exodb: db revision: migrations/versions: cannot sync the folder, so [0-9]{14}_by_hand.sql is not kept: ' w/.err ||
	    fail "not the one line naming the folder: $(cat w/.err)"
	[ "$(ls -A w/migrations/versions)" = "$orig" ] ||
	    fail "versions/ changed: $(ls -A w/migrations/versions)"
}

run_tests
