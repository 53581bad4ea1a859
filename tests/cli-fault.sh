# Fault injection, SQLite's own method: the test build exodb-fault (exodb
# with tests/fault/fault.c linked in, under ASan + UBSan) fails the k-th
# xWrite, xSync, xTruncate or xDelete of its VFS, or the k-th allocation,
# once or from then on, for every k until a run no longer reaches the
# fault. Each failing run must exit non-zero with one line "exodb: what:
# why", leave no journal behind, and leave the database wholly as before or
# wholly as after (SQLite's integrity_check ok); ASan fails any leak.
# FAULT_STRIDE=N tries every Nth k only, FAULT_MALLOC_STRIDE=N every Nth
# allocation (make check uses strides; make fault tries every k).
. "$(dirname "$0")/lib.sh"

FAULTY=${EXODB_FAULTY:-$TOP/build/san/tests/exodb-fault}
STRIDE=${FAULT_STRIDE:-1}
MSTRIDE=${FAULT_MALLOC_STRIDE:-$STRIDE}
# Every command rolls a failed write's journal back before it exits (the
# runner, and run_command for the rest): a journal left behind fails the
# test. FAULT_JOURNALS=report only reports them, when debugging.
JOURNALS=strict
DB_JOURNALS=${FAULT_JOURNALS:-strict}
export EXODB_ARGON2_COST="m=19456,t=2,p=1"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1

[ -x "$FAULTY" ] || { echo "cli-fault.sh: $FAULTY not built"; exit 1; }

. "$TOP/tests/fault/common.sh"

# inject NAME INPUT STEP ARGS...: run exodb -q ARGS in a copy of base/ for
# every fault; "after" is what a run without faults leaves. A command that
# applies several revisions, each in its own transaction, may also stop
# between two: STEP (e.g. "db upgrade +1") makes those states, one at a time.
inject() {
	local name=$1 input=$2 step=$3 op mode err k runs=0 calls before after
	local failures=0 ks="" between="" journals=0
	shift 3
	before=$(state base/instance/dev.db)
	rm -rf ref && cp -a base ref
	(cd ref && printf '%s' "$input" | "$EXODB" "$@" >/dev/null 2>&1) || fail "$name: fails without a fault"
	after=$(state ref/instance/dev.db)
	[ "$before" != "$after" ] || fail "$name: changes nothing"
	if [ -n "$step" ]; then
		rm -rf ref && cp -a base ref
		for _ in 1 2 3 4 5 6 7 8 9; do
			# shellcheck disable=SC2086
			(cd ref && "$EXODB" $step >/dev/null 2>&1) || fail "$name: $step"
			between="$between$(state ref/instance/dev.db | sha256sum) "
			[ "$(state ref/instance/dev.db)" != "$after" ] || break
		done
	fi
	for spec in write:once:ioerr write:once:full write:persist:full \
	    sync:once:ioerr sync:persist:ioerr truncate:once:ioerr \
	    truncate:persist:ioerr delete:once:ioerr delete:persist:ioerr \
	    malloc:once:- malloc:persist:-; do
		IFS=: read -r op mode err <<<"$spec"
		k=1
		stride=$STRIDE
		[ "$op" = malloc ] && stride=$MSTRIDE
		while :; do
			rm -rf w && cp -a base w
			: >w/.log
			(cd w && printf '%s' "$input" | EXODB_FAULT="$op:$k:$mode:$err" \
			    EXODB_FAULT_LOG=.log "$FAULTY" -q "$@" >.out 2>.err)
			rc=$?
			runs=$((runs + 1))
			if ! grep -q '^fired' w/.log; then
				[ "$rc" -eq 0 ] || fail "$name $spec k=$k: fails without the fault: $(cat w/.err)"
				calls=$(awk '/^calls/ {print $3}' w/.log)
				break
			fi
			why=""
			if [ "$rc" -ne 0 ]; then
				[ "$(wc -l <w/.err)" -eq 1 ] && grep -Eq '^exodb: [^ ].*: ' w/.err ||
				    why="not one error line"
			elif [ -s w/.err ] && grep -q '^exodb: ' w/.err; then
				why="error line on success"
			fi
			if [ -z "$why" ] && [ "$mode" = once ] && [ -e w/instance/dev.db-journal ]; then
				journals=$((journals + 1))
				[ "$JOURNALS" = report ] ||
				    why="a journal is left beside the database"
			fi
			# A file byte for byte the one before is that state, whole:
			# no need to ask sqlite3 (most runs; make fault's are many).
			if [ -z "$why" ] && [ "$rc" -ne 0 ] &&
			    cmp -s w/instance/dev.db base/instance/dev.db; then
				k=$((k + stride))
				continue
			fi
			[ -z "$why" ] && [ "$(q w/instance/dev.db 'PRAGMA integrity_check')" != ok ] &&
			    why="integrity_check fails"
			if [ -z "$why" ]; then
				now=$(state w/instance/dev.db)
				if [ "$rc" -eq 0 ]; then
					[ "$now" = "$after" ] || why="exit 0 but not the state after"
				else
					[ "$now" = "$before" ] || [ "$now" = "$after" ] ||
					    case "$between" in
					    *"$(echo "$now" | sha256sum) "*) ;;
					    *) false ;;
					    esac || why="neither before nor after (nor between two revisions)"
				fi
			fi
			if [ -n "$why" ]; then
				echo "FAULT $name $spec k=$k (exit $rc): $why"
				sed 's/^/    /' w/.err | head -n 5
				failures=$((failures + 1))
			fi
			k=$((k + stride))
		done
		ks="$ks $op/$mode/$err:$calls"
	done
	[ "$JOURNALS" = report ] && info "$name: a journal was left after $journals runs with a single fault"
	info "$name: $runs runs; calls per kind (every ${STRIDE}th k, ${MSTRIDE}th allocation):$ks"
	[ "$failures" -eq 0 ] || fail "$name: $failures failing runs"
}

t_upgrade_with_rebuild() {
	JOURNALS=$DB_JOURNALS
	setup chain
	inject "db upgrade" "" "db upgrade +1" db upgrade
}

t_downgrade_with_rebuild() {
	JOURNALS=$DB_JOURNALS
	setup chain
	(cd base && "$EXODB" db upgrade >/dev/null 2>&1) || fail "upgrade"
	r1=$(ls base/migrations/versions | head -n 1 | cut -c 1-14)
	inject "db downgrade" "" "db downgrade --no-backup -1" db downgrade --no-backup "$r1"
}

t_stamp() {
	JOURNALS=$DB_JOURNALS
	setup chain
	inject "db stamp" "" "" db stamp head
}

t_user_create() {
	setup
	inject "user create" "correct horse battery" "" user create carol \
	    --email carol@x.org --password-stdin
}

t_user_approve() {
	setup
	inject "user approve" "" "" user approve bob
}

run_tests
