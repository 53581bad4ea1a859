# End-to-end tests of the modes of what exodb makes: the database holds
# password hashes, so instance/ is 0700 and the database 0600 whatever the
# umask; and README's recipe for an app that runs as another user (a shared
# group on a setgid folder) keeps working: exodb leaves an existing
# database's mode and group as they are.
. "$(dirname "$0")/lib.sh"

export EXODB_ARGON2_COST="m=19456,t=2,p=1"

# modes PATH...: each one's octal mode, a line each.
modes() {
	stat -c '%n %a' "$@"
}

t_private_whatever_the_umask() {
	local u
	for u in 000 022 002; do
		rm -rf migrations instance
		(umask "$u" && "$EXODB" -q db init && "$EXODB" -q db migrate -m "Initial user model" &&
		    "$EXODB" -q db upgrade) >/dev/null || fail "umask $u: seed"
		[ "$(modes instance instance/dev.db migrations migrations/versions migrations/versions/*.sql |
		    cut -d ' ' -f 2 | tr '\n' ' ')" = "700 600 700 700 600 " ] ||
		    fail "umask $u: $(modes instance instance/dev.db migrations migrations/versions migrations/versions/*.sql)"
		printf '%s\n' "correct horse" | (umask "$u" && "$EXODB" -q user create bob --email b@x.org --password-stdin) >/dev/null ||
		    fail "umask $u: create"
		[ "$(stat -c %a instance/dev.db)" = 600 ] || fail "umask $u: create changed the mode"
		(umask "$u" && "$EXODB" -q db downgrade --yes base) >"$T/.out" 2>&1 || fail "umask $u: downgrade: $(cat "$T/.out")"
		[ "$(stat -c %a "$(cat "$T/.out")")" = 600 ] || fail "umask $u: backup $(modes "$(cat "$T/.out")")"
	done
	# -D elsewhere: the folder it makes is 0700 too.
	(umask 000 && "$EXODB" -q -D var/app.db db upgrade) || fail "-D"
	[ "$(modes var var/app.db | cut -d ' ' -f 2 | tr '\n' ' ')" = "700 600 " ] ||
	    fail "-D: $(modes var var/app.db)"
}

# README's recipe, with this user's own group standing in for the shared
# one (making a group needs root): the folder 2770, the database 0660.
t_shared_group_recipe() {
	local group
	group=$(id -gn)
	x db init; expect_ok
	x db migrate -m "Initial user model"; expect_ok
	install -d -m 2770 -g "$group" instance || fail "install -d"
	x db upgrade; expect_ok
	chgrp "$group" instance/dev.db && chmod 0660 instance/dev.db || fail "chmod"
	printf '%s\n' "correct horse" | "$EXODB" -q user create bob --email b@x.org --password-stdin >/dev/null ||
	    fail "create"
	head=$(ls migrations/versions | cut -c 1-14)
	rev 29990101000000 "$head" "CREATE INDEX ix_role ON users (role);" "DROP INDEX ix_role;" role
	x db upgrade; expect_ok
	x -q db downgrade; expect_ok
	[ "$(stat -c '%a %G' instance instance/dev.db)" = "2770 $group
660 $group" ] || fail "modes: $(stat -c '%n %a %G' instance instance/dev.db)"
	# What exodb makes there itself, a backup, is its runner's alone.
	[ "$(stat -c %a "$(out)")" = 600 ] || fail "backup: $(modes "$(out)")"
	[ "$(stat -c %G "$(out)")" = "$group" ] || fail "backup group"
	# A folder or database anyone may write to is still refused.
	chmod o+w instance/dev.db
	bad 1 "instance/dev.db: database is writable by anyone; run 'chmod o-w instance/dev.db'" user list
}

run_tests
