# End-to-end tests of the user commands: each command, every bad input they
# must refuse with one line and an unchanged folder, the canary password, eight
# concurrent creates, a second Argon2 implementation, and a real terminal.

# No test may reach the terminal that make runs in: the tests run in a session
# of their own, which has none. The terminal tests make theirs with tmux.
if [ -z "${EXODB_TEST_NO_TTY:-}" ]; then
	EXODB_TEST_NO_TTY=1 exec setsid -w bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

# OWASP's floor, the lowest cost exodb accepts, keeps the tests fast; the
# tests about the default cost unset it.
FLOOR="m=19456,t=2,p=1"
export EXODB_ARGON2_COST=$FLOOR
PW="correct horse battery"
SODIUM_VERIFY="$TOP/build/tests/sodium-verify"

# xin INPUT ARGS...: run exodb with INPUT (exactly those bytes) on stdin.
xin() {
	local input=$1
	shift
	"$EXODB" "$@" < <(printf '%s' "$input") >"$T/.out" 2>"$T/.err"
	rc=$?
}

# badin INPUT STATUS PATTERN ARGS...: bad, with INPUT on stdin.
badin() {
	local input=$1 status=$2 pattern=$3
	shift 3
	snapshot
	xin "$input" "$@"
	expect_status "$status"
	expect_one_error "$pattern"
	expect_unchanged
}

# mk NAME EMAIL [OPTIONS...]: create a user whose password is $PW.
mk() {
	local name=$1 email=$2
	shift 2
	xin "$PW" user create "$name" --email "$email" --password-stdin "$@"
	expect_ok
}

db() {
	q instance/dev.db "$1"
}

hash_of() {
	db "SELECT password_hash FROM users WHERE username = '$1'"
}

# A PHC string as exodb writes it, at the cost given.
expect_phc() {
	echo "$1" | grep -Eq "^\\\$argon2id\\\$v=19\\\$$2\\\$[A-Za-z0-9+/]{22}\\\$[A-Za-z0-9+/]{43}\$" ||
	    fail "not an Argon2id PHC string at $2: $1"
}

t_create_show() {
	seed
	xin "$PW" user create alice --email alice@example.org --password-stdin
	expect_ok
	[ "$(out)" = 1 ] || fail "stdout is not the new id: $(out)"
	expect_err "^created user alice \\(user\\); approve with 'exodb user approve alice'\$"
	expect_phc "$(hash_of alice)" "$FLOOR"
	[ "$(db "SELECT username || '|' || email || '|' || role || '|' || is_approved FROM users")" = \
	    "alice|alice@example.org|user|0" ] || fail "row: $(db "SELECT * FROM users")"
	xin "$PW" user create Bob --email bob@example.org --role admin --approved --password-stdin
	expect_ok
	[ "$(out)" = 2 ] || fail "second id: $(out)"
	expect_err '^created user Bob \(admin\), approved$'
	x user show BOB; expect_ok
	[ "$(out)" = "id:        2
username:  Bob
email:     bob@example.org
role:      admin
approved:  yes" ] || fail "show: $(out)"
	! grep -q argon2 "$T/.out" || fail "show prints the hash"
	# A password of exactly 8 and of exactly 256 bytes is accepted.
	xin "12345678" user create c8 --email c8@x.org --password-stdin; expect_ok
	xin "$(printf '%0256d' 7)" user create c256 --email c256@x.org --password-stdin; expect_ok
	xin "$(printf '%0256d' 7)" user verify c256 --password-stdin; expect_ok
	# Without its trailing newline, stdin's line is the same password.
	xin "$PW
" user verify alice --password-stdin; expect_ok
}

t_create_default_cost() {
	seed
	unset EXODB_ARGON2_COST
	mk alice a@example.org
	expect_phc "$(hash_of alice)" "m=65536,t=3,p=4"
	xin "$PW" user verify alice --password-stdin; expect_ok
	expect_err '^password matches$'
}

t_approve_revoke() {
	seed
	mk alice alice@example.org
	x user approve ALICE; expect_ok
	expect_err '^approved alice$'
	[ "$(db "SELECT is_approved FROM users")" = 1 ] || fail "not approved"
	# Again: said so, exit 0, nothing written.
	snapshot
	x user approve alice; expect_ok
	expect_err '^alice is already approved$'
	expect_unchanged
	x user revoke Alice; expect_ok
	expect_err '^revoked the approval of alice$'
	[ "$(db "SELECT is_approved FROM users")" = 0 ] || fail "not revoked"
	snapshot
	x user revoke alice; expect_ok
	expect_err '^alice is not approved; nothing to revoke$'
	expect_unchanged
	x -q user approve alice; expect_ok
	[ ! -s "$T/.err" ] || fail "-q still notes"
}

t_set_role() {
	seed
	mk alice alice@example.org
	x user set-role ALICE admin; expect_ok
	expect_err '^alice is now admin$'
	[ "$(db "SELECT role FROM users")" = admin ] || fail "role"
	snapshot
	x user set-role alice admin; expect_ok
	expect_err '^alice is already admin$'
	expect_unchanged
	x user set-role alice user; expect_ok
	[ "$(db "SELECT role FROM users")" = user ] || fail "role back"
}

t_list() {
	seed
	x user list; expect_ok
	[ "$(out)" = "id  username  email  role  approved" ] || fail "empty list: $(out)"
	expect_err '^no users$'
	x user list --json; expect_ok
	[ "$(out)" = "[]" ] || fail "empty json: $(out)"
	mk alice alice@example.org --approved
	mk bob b@x.org --role admin
	mk carol-the-third carol@example.org
	x user list; expect_ok
	[ "$(out)" = "id  username         email              role   approved
1   alice            alice@example.org  user   yes
2   bob              b@x.org            admin  no
3   carol-the-third  carol@example.org  user   no" ] || fail "list: $(out)"
	x user list --pending; expect_ok
	[ "$(out | cut -c 1-3 | tr -d ' ' | tr '\n' ,)" = "id,2,3," ] || fail "pending: $(out)"
	x user list --role admin; expect_ok
	[ "$(out | sed 1d | cut -c 1)" = 2 ] || fail "admins: $(out)"
	x user list --pending --role user; expect_ok
	[ "$(out | sed 1d | cut -c 1)" = 3 ] || fail "pending users: $(out)"
	x user list --role admin --json; expect_ok
	[ "$(out)" = '[{"id":2,"username":"bob","email":"b@x.org","role":"admin","approved":false}]' ] ||
	    fail "json: $(out)"
	x user list --json; expect_ok
	[ "$(q :memory: "SELECT json_valid('$(out)') * json_array_length('$(out)')")" = 3 ] ||
	    fail "json is not an array of 3: $(out)"
	! grep -q 'argon2' "$T/.out" || fail "the list shows a hash"
	x user list --pending --role admin --json; expect_ok
	[ "$(out)" = '[{"id":2,"username":"bob","email":"b@x.org","role":"admin","approved":false}]' ] ||
	    fail "pending admin json: $(out)"
}

# One row, and the widths of the rows a filter lets through: the widest
# names set the columns, the titles set them when every value is narrower.
t_list_widths() {
	local long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	seed
	mk bo b@x.org --approved
	x user list; expect_ok
	[ "$(out)" = "id  username  email    role  approved
1   bo        b@x.org  user  yes" ] || fail "one row: $(out)"
	[ -z "$(err)" ] || fail "stderr: $(err)"
	x user list --json; expect_ok
	[ "$(out)" = '[{"id":1,"username":"bo","email":"b@x.org","role":"user","approved":true}]' ] ||
	    fail "one row json: $(out)"
	mk "$long" "$long@example.org" --role admin
	x user list; expect_ok
	[ "$(out)" = "id  username$(printf '%58s' '')email$(printf '%73s' '')role   approved
1   bo$(printf '%64s' '')b@x.org$(printf '%71s' '')user   yes
2   $long  $long@example.org  admin  no" ] || fail "wide: $(out)"
	x user list --pending --role admin; expect_ok
	[ "$(out | sed -n 2p)" = "2   $long  $long@example.org  admin  no" ] || fail "wide admin: $(out)"
	x user list --role user; expect_ok
	[ "$(out)" = "id  username  email    role  approved
1   bo        b@x.org  user  yes" ] || fail "narrow filter: $(out)"
	x user list --pending --role user; expect_ok
	[ "$(out)" = "id  username  email  role  approved" ] || fail "none match: $(out)"
	expect_err '^no users match$'
	x user list --pending --role user --json; expect_ok
	[ "$(out)" = "[]" ] || fail "none match json: $(out)"
	[ -z "$(err)" ] || fail "json stderr: $(err)"
}

# What the app stored may hold anything: JSON escapes it, the table shows no
# control character.
t_list_odd_rows() {
	seed
	db "INSERT INTO users (username, email, password_hash) VALUES ('ev\"il', 'a'||char(10)||char(27)||'[2J@x.org', 'h'), ('jörg', 'j@x.org', 'h')"
	x user list --json; expect_ok
	[ "$(out)" = '[{"id":1,"username":"ev\"il","email":"a\n\u001b[2J@x.org","role":"user","approved":false},{"id":2,"username":"jörg","email":"j@x.org","role":"user","approved":false}]' ] ||
	    fail "json: $(out)"
	x user list; expect_ok
	[ "$(out | wc -l)" = 3 ] || fail "a cell broke a line: $(out)"
	! grep -q "$(printf '\033')" "$T/.out" || fail "escape character in the table"
	[ "$(out | sed -n 3p)" = "2   jörg      j@x.org       user  no" ] || fail "width of jörg: $(out)"
}

t_passwd() {
	seed
	mk alice alice@example.org
	old=$(hash_of alice)
	xin "new password 1" user passwd ALICE --password-stdin; expect_ok
	expect_err '^changed the password of alice$'
	[ -z "$(out)" ] || fail "stdout: $(out)"
	expect_phc "$(hash_of alice)" "$FLOOR"
	[ "$(hash_of alice)" != "$old" ] || fail "hash unchanged"
	xin "$PW" user verify alice --password-stdin; expect_status 1
	xin "new password 1" user verify alice --password-stdin; expect_ok
}

t_delete() {
	seed
	mk alice alice@example.org
	mk bob bob@example.org
	x user delete ALICE --yes; expect_ok
	expect_err '^deleted user alice$'
	[ "$(db "SELECT group_concat(username) FROM users")" = bob ] || fail "rows"
	# No terminal and no --yes: refused at once, nothing deleted.
	snapshot
	run timeout $((10 * SLOW)) "$EXODB" user delete bob
	expect_status 1
	expect_one_error "^exodb: user delete: no terminal to ask for confirmation on; use --yes\$"
	expect_unchanged
}

t_verify() {
	seed
	mk alice alice@example.org
	snapshot
	xin "$PW" user verify ALICE --password-stdin; expect_ok
	expect_err '^password matches$'
	[ -z "$(out)" ] || fail "stdout: $(out)"
	expect_unchanged
	badin "wrong password" 1 "^exodb: user verify: password does not match for 'alice'\$" \
	    user verify alice --password-stdin
	# A stored hash that is not Argon2: "could not tell", exit 3, never the
	# answer a wrong password gets.
	for h in 'pbkdf2:sha256:600000$Ab3dE6gH$0f1e2d3c4b5a69788796a5b4c3d2e1f0:werkzeug pbkdf2' \
	    'scrypt:32768:8:1$Ab3dE6gH$0f1e2d3c4b5a69788796a5b4c3d2e1f0:werkzeug scrypt' \
	    '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW:bcrypt' \
	    '!:a placeholder' ':an empty string'; do
		db "UPDATE users SET password_hash = '${h%:*}' WHERE username = 'alice'"
		badin "$PW" 3 "^exodb: user verify: the stored hash of 'alice' is not Argon2 \\(looks like ${h##*:}\\); cannot verify\$" \
		    user verify ALICE --password-stdin
		badin "wrong password" 3 "is not Argon2" user verify alice --password-stdin
	done
	# An Argon2 string that does not read, or that exodb does not read.
	db "UPDATE users SET password_hash = '\$argon2id\$v=19\$m=65536,t=3,p=4\$abc' WHERE username = 'alice'"
	badin "$PW" 3 "^exodb: user verify: the stored hash of 'alice' cannot be checked: stored hash is not an Argon2 PHC string\$" \
	    user verify alice --password-stdin
	db "UPDATE users SET password_hash = '\$argon2id\$v=16\$m=65536,t=3,p=4\$c29tZXNhbHQ\$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc' WHERE username = 'alice'"
	badin "$PW" 3 "^exodb: user verify: the stored hash of 'alice' cannot be checked: stored hash is of Argon2 version 16; only 19 is read\$" \
	    user verify alice --password-stdin
	# ... found before any password is asked for.
	db "UPDATE users SET password_hash = '\$2b\$12\$abc' WHERE username = 'alice'"
	snapshot
	run timeout $((10 * SLOW)) "$EXODB" user verify alice
	expect_status 3
	expect_one_error "^exodb: user verify: the stored hash of 'alice' is not Argon2 \\(looks like bcrypt\\); cannot verify\$"
	expect_unchanged
}

# A password to check is whatever length the app let its user set, not
# exodb's 8 to 256 bytes: hashes by libsodium, a second Argon2id.
t_verify_any_length() {
	local p
	seed
	mk alice alice@example.org
	for p in abc "$(printf '%01000d' 7)" "$(printf '%04096d' 7)"; do
		db "UPDATE users SET password_hash = '$(printf '%s\n' "$p" | "$SODIUM_VERIFY" --hash)'"
		xin "$p" user verify alice --password-stdin; expect_ok
		expect_err '^password matches$'
		badin "x${p:1}" 1 "password does not match" user verify alice --password-stdin
	done
	badin "$(printf '%04097d' 7)" 1 "^exodb: user verify: password is longer than 4096 bytes; refused, not truncated\$" \
	    user verify alice --password-stdin
	badin "" 1 "^exodb: user verify: no password on standard input\$" \
	    user verify alice --password-stdin
	# Setting one keeps the limits.
	badin "abc" 1 "^exodb: user passwd: password is shorter than 8 bytes\$" \
	    user passwd alice --password-stdin
}

# The carriage return of a CRLF line is not part of the password.
t_crlf_line() {
	seed
	xin "$PW"$'\r\n' user create alice --email alice@example.org --password-stdin; expect_ok
	xin "$PW" user verify alice --password-stdin; expect_ok
	xin "$PW"$'\r\n' user verify alice --password-stdin; expect_ok
	xin "$PW"$'\r' user verify alice --password-stdin; expect_ok
	badin "$PW"$' \r\n' 1 "password does not match" user verify alice --password-stdin
}

# A hash weaker than the current cost is replaced on a match, once.
t_verify_rehash() {
	seed
	mk alice alice@example.org
	floor=$(hash_of alice)
	unset EXODB_ARGON2_COST
	badin "wrong password" 1 'password does not match' user verify alice --password-stdin
	xin "$PW" user verify alice --password-stdin; expect_ok
	expect_err '^password matches; rehashed with m=65536,t=3,p=4$'
	expect_phc "$(hash_of alice)" "m=65536,t=3,p=4"
	new=$(hash_of alice)
	[ "$new" != "$floor" ] || fail "not replaced"
	xin "$PW" user verify alice --password-stdin; expect_ok
	expect_err '^password matches$'
	[ "$(hash_of alice)" = "$new" ] || fail "replaced twice"
	# A lower setting never replaces a stronger hash.
	export EXODB_ARGON2_COST=$FLOOR
	xin "$PW" user verify alice --password-stdin; expect_ok
	[ "$(hash_of alice)" = "$new" ] || fail "weakened"
}

# Only a hash weaker in every respect is replaced: argon2-cffi's old default,
# m=102400,t=2,p=8, has a lower t than exodb's m=65536,t=3,p=4 but a higher m
# and p, and is kept (else exodb and the app would swap hashes at each
# login); one lower in t alone, or in all three, is replaced.
t_verify_rehash_only_weaker() {
	local cost old
	seed
	for cost in m=102400,t=2,p=8 m=65536,t=4,p=1 m=19456,t=9,p=1; do
		EXODB_ARGON2_COST=$cost mk "u${cost//[^0-9]/}" "${cost//[^0-9]/}@x.org"
		old=$(hash_of "u${cost//[^0-9]/}")
		EXODB_ARGON2_COST="" xin "$PW" user verify "u${cost//[^0-9]/}" --password-stdin
		expect_ok
		expect_err '^password matches$'
		[ "$(hash_of "u${cost//[^0-9]/}")" = "$old" ] || fail "$cost was replaced"
	done
	for cost in m=65536,t=2,p=4 m=19456,t=2,p=1; do
		EXODB_ARGON2_COST=$cost mk "w${cost//[^0-9]/}" "w${cost//[^0-9]/}@x.org"
		EXODB_ARGON2_COST="" xin "$PW" user verify "w${cost//[^0-9]/}" --password-stdin
		expect_ok
		expect_err '^password matches; rehashed with m=65536,t=3,p=4$'
		expect_phc "$(hash_of "w${cost//[^0-9]/}")" "m=65536,t=3,p=4"
	done
}

# libsodium's Argon2 (a second implementation) accepts what exodb writes.
t_hash_verifies_with_libsodium() {
	[ -x "$SODIUM_VERIFY" ] ||
	    fail "$SODIUM_VERIFY is missing: make check builds it (libsodium-dev)"
	seed
	mk alice alice@example.org
	unset EXODB_ARGON2_COST
	mk bob bob@example.org
	expect_phc "$(hash_of bob)" "m=65536,t=3,p=4"
	for u in alice bob; do
		printf '%s\n' "$PW" | "$SODIUM_VERIFY" "$(hash_of $u)" ||
		    fail "libsodium rejects $u's hash with the right password"
		printf '%s\n' "$PW." | "$SODIUM_VERIFY" "$(hash_of $u)"
		[ $? -eq 1 ] || fail "libsodium accepts $u's hash with a wrong password"
	done
}

t_usage_errors() {
	seed
	bad 2 "^exodb: user create: option '--email' is required\$" user create alice --password-stdin
	bad 2 'missing argument' user create --email a@x.org
	bad 2 'too many arguments' user create alice bob --email a@x.org
	# There is no option that takes a password, and a value given to one is
	# not repeated.
	bad 2 '^exodb: user create: ' user create alice --email a@x.org --password=secret1234
	! grep -q secret1234 "$T/.err" || fail "the value is repeated"
	bad 2 '^exodb: user passwd: ' user passwd alice --password secret1234
	! grep -q secret1234 "$T/.err" || fail "the value is repeated"
	bad 2 "option '--email' needs a value" user create alice --email
	bad 2 'missing argument' user set-role alice
	bad 2 "unknown command 'add'" user add alice
	bad 2 "unknown option '--force'" user delete alice --force
	x user --help; expect_ok
	for c in create approve revoke list show set-role passwd delete verify; do
		grep -q "^  exodb user $c" "$T/.out" || fail "--help lacks user $c"
	done
	x user create --help; expect_ok
	expect_out '^usage: exodb user create NAME --email EMAIL \[--role ROLE\] \[--approved\]$'
	expect_out '^    \[--password-stdin\]$'
}

t_bad_duplicates() {
	seed
	mk alice alice@example.org
	badin "$PW" 1 "^exodb: user create: username 'alice' is taken\$" \
	    user create alice --email other@example.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username 'ALICE' is taken\$" \
	    user create ALICE --email other@example.org --password-stdin
	badin "$PW" 1 "^exodb: user create: email 'alice@example.org' is taken\$" \
	    user create alice2 --email alice@example.org --password-stdin
	badin "$PW" 1 "^exodb: user create: email 'Alice@EXAMPLE.org' is taken\$" \
	    user create alice2 --email Alice@EXAMPLE.org --password-stdin
	! grep -qi 'constraint' "$T/.err" || fail "SQLite's text"
}

t_bad_usernames() {
	seed
	badin "$PW" 1 "^exodb: user create: username is empty\$" \
	    user create "" --email a@x.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username is longer than 64 bytes\$" \
	    user create "$(printf 'a%.0s' $(seq 65))" --email a@x.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username contains a control character\$" \
	    user create "$(printf 'al\001ice')" --email a@x.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username contains a control character\$" \
	    user create "$(printf 'al\nice')" --email a@x.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username is not valid UTF-8\$" \
	    user create "$(printf 'al\377ice')" --email a@x.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username 'al ice' has a character other than letters, digits" \
	    user create "al ice" --email a@x.org --password-stdin
	badin "$PW" 1 "^exodb: user create: username 'jörg' has a character other than" \
	    user create "jörg" --email a@x.org --password-stdin
	# 64 bytes is the most.
	xin "$PW" user create "$(printf 'a%.0s' $(seq 64))" --email a@x.org --password-stdin
	expect_ok
}

t_bad_emails() {
	seed
	badin "$PW" 1 "^exodb: user create: email 'alice.example.org' has no '@'\$" \
	    user create alice --email alice.example.org --password-stdin
	badin "$PW" 1 "^exodb: user create: email 'alice @example.org' contains a space\$" \
	    user create alice --email "alice @example.org" --password-stdin
	badin "$PW" 1 "^exodb: user create: email 'a@b@c' has more than one '@'\$" \
	    user create alice --email a@b@c --password-stdin
	badin "$PW" 1 "^exodb: user create: email is longer than 120 bytes\$" \
	    user create alice --email "$(printf 'a%.0s' $(seq 109))@example.org" --password-stdin
	badin "$PW" 1 "^exodb: user create: email contains a control character\$" \
	    user create alice --email "$(printf 'a\t@x.org')" --password-stdin
	badin "$PW" 1 "^exodb: user create: email is not valid UTF-8\$" \
	    user create alice --email "$(printf 'a\377@x.org')" --password-stdin
	badin "$PW" 1 "^exodb: user create: email is empty\$" \
	    user create alice --email "" --password-stdin
	# 120 bytes is the most.
	xin "$PW" user create alice --email "$(printf 'a%.0s' $(seq 108))@example.org" --password-stdin
	expect_ok
}

t_bad_roles() {
	seed
	mk alice alice@example.org
	badin "$PW" 1 "^exodb: user create: unknown role 'root'; roles are user and admin\$" \
	    user create bob --email b@x.org --role root --password-stdin
	bad 1 "^exodb: user set-role: unknown role 'Admin'; roles are user and admin\$" \
	    user set-role alice Admin
	bad 1 "^exodb: user list: unknown role 'boss'; roles are user and admin\$" \
	    user list --role boss
}

t_bad_unknown_user() {
	seed
	mk alice alice@example.org
	for c in approve revoke show; do
		bad 1 "^exodb: user $c: unknown user 'bob'\$" user $c bob
	done
	bad 1 "^exodb: user set-role: unknown user 'bob'\$" user set-role bob admin
	bad 1 "^exodb: user delete: unknown user 'bob'\$" user delete bob --yes
	bad 1 "^exodb: user delete: unknown user 'bob'\$" user delete bob
	badin "$PW" 1 "^exodb: user passwd: unknown user 'bob'\$" user passwd bob --password-stdin
	badin "$PW" 1 "^exodb: user verify: unknown user 'bob'\$" user verify bob --password-stdin
	bad 1 "^exodb: user show: username contains a control character\$" user show "$(printf 'bob\033')"
}

t_bad_passwords() {
	seed
	mk alice alice@example.org
	badin "1234567" 1 "^exodb: user create: password is shorter than 8 bytes\$" \
	    user create bob --email b@x.org --password-stdin
	badin "$(printf '%0257d' 7)" 1 "^exodb: user create: password is longer than 256 bytes; refused, not truncated\$" \
	    user create bob --email b@x.org --password-stdin
	# Not cut to its first 256 bytes either for passwd.
	badin "$(printf '%0300d' 7)" 1 "password is longer than 256 bytes" \
	    user passwd alice --password-stdin
	badin "" 1 "^exodb: user create: no password on standard input\$" \
	    user create bob --email b@x.org --password-stdin
	# An empty line is no password, as end of input is: readpassphrase(3)
	# does not tell them apart.
	badin "
" 1 "^exodb: user create: no password on standard input\$" \
	    user create bob --email b@x.org --password-stdin
	# A NUL byte would end the password early: refused, not cut there.
	snapshot
	"$EXODB" user create bob --email b@x.org --password-stdin \
	    < <(printf 'pass\000word1\n') >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_status 1
	expect_one_error "^exodb: user create: password contains a NUL byte\$"
	expect_unchanged
	badin "" 1 "^exodb: user passwd: no password on standard input\$" \
	    user passwd alice --password-stdin
	badin "" 1 "^exodb: user verify: no password on standard input\$" \
	    user verify alice --password-stdin
}

# No terminal and no --password-stdin: an error at once, never a wait.
t_bad_no_terminal() {
	seed
	mk alice alice@example.org
	for args in "create bob --email b@x.org" "passwd alice" "verify alice"; do
		snapshot
		# shellcheck disable=SC2086 # $args are the arguments
		run timeout $((10 * SLOW)) "$EXODB" user $args
		[ "$rc" -ne 124 ] || fail "user $args waited"
		expect_status 1
		expect_one_error "^exodb: user ${args%% *}: no terminal to ask for the password on; use --password-stdin\$"
		expect_unchanged
	done
}

t_bad_cost_setting() {
	seed
	for cost in "m=19455,t=2,p=1" "m=19456,t=1,p=1" "m=65536,t=3,p=0"; do
		EXODB_ARGON2_COST=$cost badin "$PW" 1 "^exodb: user create: EXODB_ARGON2_COST: $cost is below OWASP's floor \\(m=19456,t=2,p=1\\); refused\$" \
		    user create bob --email b@x.org --password-stdin
	done
	EXODB_ARGON2_COST=fast badin "$PW" 1 "^exodb: user create: EXODB_ARGON2_COST: expected m=KIB,t=PASSES,p=LANES" \
	    user create bob --email b@x.org --password-stdin
	mk alice alice@example.org
	for c in "passwd alice" "verify alice"; do
		# shellcheck disable=SC2086 # $c is a command and its arguments
		EXODB_ARGON2_COST=m=8,t=1,p=1 badin "$PW" 1 "^exodb: user ${c%% *}: EXODB_ARGON2_COST: m=8,t=1,p=1 is below OWASP's floor" \
		    user $c --password-stdin
	done
}

# Every user command needs the database at head.
t_bad_not_upgraded() {
	x db init; expect_ok
	x db migrate -m "Initial user model"; expect_ok
	for args in "create alice --email a@x.org --password-stdin" "approve alice" \
	    "revoke alice" "list" "show alice" "set-role alice admin" \
	    "passwd alice --password-stdin" "delete alice --yes" \
	    "verify alice --password-stdin"; do
		# shellcheck disable=SC2086 # $args are the arguments
		badin "$PW" 1 "no such database; 'exodb db upgrade' creates it|database is not up to date; run 'exodb db upgrade'" \
		    user $args
	done
	x db upgrade; expect_ok
	mk alice alice@example.org
	# A revision not applied yet: the database is behind head.
	head=$(ls migrations/versions | cut -c 1-14)
	rev 29990101000000 "$head" "CREATE INDEX ix_later ON users (role);" \
	    "DROP INDEX ix_later;" later
	for args in "create bob --email b@x.org --password-stdin" "approve alice" \
	    "revoke alice" "list" "list --json" "show alice" "set-role alice admin" \
	    "passwd alice --password-stdin" "delete alice --yes" \
	    "verify alice --password-stdin"; do
		# shellcheck disable=SC2086 # $args are the arguments
		badin "$PW" 1 "^exodb: user ${args%% *}: instance/dev.db: database is not up to date; run 'exodb db upgrade'\$" \
		    user $args
	done
}

# Eight creates of one name at once: exactly one succeeds, seven say it is
# taken, cleanly.
t_concurrent_create() {
	seed
	local i ok=0 taken=0
	for i in 1 2 3 4 5 6 7 8; do
		("$EXODB" user create dup --email "dup$i@example.org" --password-stdin \
		    < <(printf '%s' "$PW") >"$root/c$i.out" 2>"$root/c$i.err"
		 echo $? >"$root/c$i.rc") &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		case $(cat "$root/c$i.rc") in
		0)	ok=$((ok + 1)) ;;
		1)	[ "$(cat "$root/c$i.err")" = "exodb: user create: username 'dup' is taken" ] ||
			    fail "create $i: $(cat "$root/c$i.err")"
			[ ! -s "$root/c$i.out" ] || fail "create $i wrote stdout"
			taken=$((taken + 1)) ;;
		*)	fail "create $i: exit $(cat "$root/c$i.rc"): $(cat "$root/c$i.err")" ;;
		esac
	done
	[ $ok -eq 1 ] && [ $taken -eq 7 ] || fail "$ok succeeded, $taken taken"
	[ "$(db "SELECT count(*) FROM users")" = 1 ] || fail "rows: $(db "SELECT count(*) FROM users")"
	[ ! -e instance/dev.db-journal ] || fail "a journal is left"
}

# --- The terminal, driven through tmux -------------------------------------

# term_start COMMAND [stop]: run a shell command in a new terminal (a tmux
# pane) in this test's folder; its exit status goes to $root/rc, the
# terminal's settings after it to $root/stty.after, its stderr to $root/err.
# A plain sh, which saves and restores no terminal settings of its own, so
# that what the terminal looks like is exodb's doing. With "stop", the shell
# has job control: when the command stops, its status goes to $root/rc.stop,
# the settings to $root/stty.stopped, and it is resumed with fg. A status file
# appears whole (written aside, then renamed): the test polls for it.
# Each terminal is a new tmux server on a socket of its own, never one a
# server that was just killed may still hold; all of them are killed when
# the test ends.
SOCKS=()
term_start() {
	SOCK="$root/$(basename "$T").${#SOCKS[@]}.tmux"
	SOCKS+=("$SOCK")
	{
		echo "cd '$T'"
		echo "export EXODB_ARGON2_COST='$EXODB_ARGON2_COST'"
		echo "export ASAN_OPTIONS='${ASAN_OPTIONS:-}' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'"
		if [ "${2:-}" = stop ]; then
			echo "set -m"
			echo "$1 2>'$root/err'"
			echo "s=\$?"
			echo "stty -a >'$root/stty.stopped'"
			echo "echo \$s >'$root/rc.tmp'"
			echo "mv '$root/rc.tmp' '$root/rc.stop'"
			echo "fg >/dev/null"
		else
			echo "trap : INT"
			echo "$1 2>'$root/err'"
		fi
		echo "echo \$? >'$root/rc.tmp'"
		echo "stty -a >'$root/stty.after'"
		echo "mv '$root/rc.tmp' '$root/rc'"
		echo "exec cat"
	} >"$root/pane.sh"
	rm -f "$root/rc" "$root/rc.stop" "$root/stty.after" "$root/stty.stopped"
	tmux -S "$SOCK" -f /dev/null new-session -d -x 160 -y 40 "sh '$root/pane.sh'" ||
	    fail "tmux would not start"
	# shellcheck disable=SC2154 # s is the trap's own loop variable
	trap 'for s in "${SOCKS[@]}"; do tmux -S "$s" kill-server 2>/dev/null; done' EXIT
	TTY=$(tmux -S "$SOCK" display-message -p '#{pane_tty}')
}

keys() {
	tmux -S "$SOCK" send-keys "$@"
}

screen() {
	tmux -S "$SOCK" capture-pane -p -S -1000
}

# until_true COMMAND...: poll a condition for up to 20 seconds (times SLOW).
until_true() {
	local n=0
	until "$@"; do
		n=$((n + 1))
		[ $n -lt $((400 * SLOW)) ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# on_screen TEXT: the pane shows TEXT (tmux drops the spaces ending a line).
on_screen() {
	screen | grep -qF -- "${1% }"
}

finished() {
	[ -f "$root/rc" ]
}

# The exodb the pane's shell runs: its one child (under make valgrind the
# process is valgrind's, with exodb's command line).
exodb_pid() {
	local pids
	need pgrep
	pids=$(pgrep -P "$(tmux -S "$SOCK" display-message -p '#{pane_pid}')")
	[ -n "$pids" ] && [ "$(echo "$pids" | wc -l)" -eq 1 ] ||
	    fail "not one exodb process in the terminal: $pids"
	echo "$pids"
}

# The pane's terminal has echo off (-echo) or on (echo) right now.
expect_echo() {
	stty -a -F "$TTY" | tr ' ' '\n' | grep -qx -- "$1" ||
	    fail "terminal is not $1: $(stty -a -F "$TTY" | tr ' ' '\n' | grep echo)"
}

expect_echo_after() {
	tr ' ' '\n' <"$root/stty.after" | grep -qx -- "$1" ||
	    fail "terminal after exodb is not $1"
}

t_tty_create() {
	need tmux
	seed
	term_start "'$EXODB' user create alice --email alice@example.org"
	until_true on_screen "New password for alice: "
	expect_echo -echo
	keys -l "$PW"; keys Enter
	until_true on_screen "Repeat the password: "
	expect_echo -echo
	keys -l "$PW"; keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	expect_echo_after echo
	expect_echo echo
	! screen | grep -qF "$PW" || fail "the password was echoed: $(screen)"
	xin "$PW" user verify alice --password-stdin; expect_ok
}

t_tty_ctrl_c() {
	need tmux
	seed
	snapshot
	term_start "'$EXODB' user create alice --email alice@example.org"
	until_true on_screen "New password for alice: "
	expect_echo -echo
	keys -l "secret"
	keys C-c
	until_true finished
	[ "$(cat "$root/rc")" = 130 ] || fail "exit $(cat "$root/rc"), not by SIGINT"
	expect_echo_after echo
	expect_echo echo
	[ ! -s "$root/err" ] || fail "stderr: $(cat "$root/err")"
	expect_unchanged
}

# Stopped at the prompt (Ctrl-Z), exodb leaves the terminal its echo; resumed
# (fg), it turns echo off again, shows the prompt again (readpassphrase(3)
# reads afresh after a stop) and the password still goes through.
t_tty_ctrl_z() {
	need tmux
	# valgrind does not stop the process it runs on a SIGTSTP that the
	# process sends itself (readpassphrase's, after restoring echo).
	[ -z "${EXODB_VALGRIND:-}" ] || skip "memcheck does not stop on SIGTSTP"
	seed
	mk alice alice@example.org
	term_start "'$EXODB' user verify alice" stop
	until_true on_screen "Password for alice: "
	expect_echo -echo
	keys C-z
	until_true test -f "$root/rc.stop"
	[ "$(cat "$root/rc.stop")" = 148 ] || fail "not stopped by SIGTSTP: $(cat "$root/rc.stop")"
	tr ' ' '\n' <"$root/stty.stopped" | grep -qx echo || fail "no echo while stopped"
	until_true eval 'stty -a -F "$TTY" | tr " " "\n" | grep -qx -- -echo'
	until_true eval '[ "$(screen | grep -c "Password for alice:")" -ge 2 ]'
	keys -l "$PW"; keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	expect_echo_after echo
	! screen | grep -qF "$PW" || fail "the password was echoed"
	grep -q '^password matches$' "$root/err" || fail "stderr: $(cat "$root/err")"
}

t_tty_eof_at_prompt() {
	need tmux
	seed
	snapshot
	term_start "'$EXODB' user create alice --email alice@example.org"
	until_true on_screen "New password for alice: "
	keys C-d
	until_true finished
	[ "$(cat "$root/rc")" = 1 ] || fail "exit $(cat "$root/rc")"
	[ "$(cat "$root/err")" = "exodb: user create: no password given (an empty line or end of input at the prompt)" ] ||
	    fail "stderr: $(cat "$root/err")"
	expect_echo_after echo
	expect_unchanged
}

# A confirmation that differs asks both again, three times in all, as
# passwd does; the third mismatch fails and changes nothing.
t_tty_mismatch() {
	local i
	need tmux
	seed
	mk alice alice@example.org
	snapshot
	term_start "'$EXODB' user passwd alice"
	for i in 1 2 3; do
		until_true eval '[ "$(screen | grep -c "New password for alice:")" -ge $i ]'
		keys -l "first password"; keys Enter
		until_true eval '[ "$(screen | grep -c "Repeat the password:")" -ge $i ]'
		expect_echo -echo
		keys -l "other password $i"; keys Enter
	done
	until_true finished
	[ "$(cat "$root/rc")" = 1 ] || fail "exit $(cat "$root/rc")"
	[ "$(cat "$root/err")" = "exodb: user passwd: the two passwords differ, 3 times" ] ||
	    fail "stderr: $(cat "$root/err")"
	[ "$(screen | grep -c '^the two passwords differ; try again$')" = 2 ] ||
	    fail "not asked again twice: $(screen)"
	! screen | grep -qE "first password|other password" || fail "a password was echoed"
	expect_echo_after echo
	expect_unchanged
}

# ... and a match at the second try sets the password.
t_tty_mismatch_then_match() {
	need tmux
	seed
	mk alice alice@example.org
	term_start "'$EXODB' user passwd alice"
	until_true on_screen "New password for alice: "
	keys -l "first password"; keys Enter
	until_true on_screen "Repeat the password: "
	keys -l "other password"; keys Enter
	until_true on_screen "the two passwords differ; try again"
	until_true eval '[ "$(screen | grep -c "New password for alice:")" -ge 2 ]'
	keys -l "second password"; keys Enter
	until_true eval '[ "$(screen | grep -c "Repeat the password:")" -ge 2 ]'
	keys -l "second password"; keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	xin "second password" user verify alice --password-stdin; expect_ok
	! screen | grep -qF "second password" || fail "the password was echoed"
}

# --password-stdin with the terminal as standard input: read as the terminal
# is, echo off, the prompt shown, a new password asked for twice.
t_tty_password_stdin() {
	need tmux
	seed
	mk alice alice@example.org
	term_start "'$EXODB' user verify alice --password-stdin"
	until_true on_screen "Password for alice: "
	expect_echo -echo
	keys -l "$PW"; keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	! screen | grep -qF "$PW" || fail "the password was echoed: $(screen)"
	expect_echo_after echo
	tmux -S "$SOCK" kill-server
	term_start "'$EXODB' user passwd alice --password-stdin"
	until_true on_screen "New password for alice: "
	expect_echo -echo
	keys -l "new password 1"; keys Enter
	until_true on_screen "Repeat the password: "
	expect_echo -echo
	keys -l "new password 1"; keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	! screen | grep -qF "new password 1" || fail "the password was echoed"
	xin "new password 1" user verify alice --password-stdin; expect_ok
}

# A terminal that is not exodb's own as standard input: refused, since its
# echo could not be given back for sure; nothing is read from it.
t_bad_other_terminal() {
	need tmux
	seed
	mk alice alice@example.org
	term_start "cat"
	snapshot
	timeout $((10 * SLOW)) "$EXODB" user verify alice --password-stdin <"$TTY" >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_status 1
	expect_one_error "^exodb: user verify: standard input is a terminal other than exodb's own, whose echo it cannot turn off; use that terminal or a pipe\$"
	expect_unchanged
	expect_echo echo
}

t_tty_short_password() {
	need tmux
	seed
	snapshot
	term_start "'$EXODB' user create alice --email alice@example.org"
	until_true on_screen "New password for alice: "
	keys -l "short"; keys Enter
	until_true finished
	[ "$(cat "$root/err")" = "exodb: user create: password is shorter than 8 bytes" ] ||
	    fail "stderr: $(cat "$root/err")"
	! on_screen "Repeat" || fail "asked again after a short password"
	expect_echo_after echo
	expect_unchanged
}

t_tty_delete_confirm() {
	need tmux
	seed
	mk alice alice@example.org
	snapshot
	term_start "'$EXODB' user delete alice"
	until_true on_screen "Delete user alice <alice@example.org>? [y/N] "
	keys n Enter
	until_true finished
	[ "$(cat "$root/rc")" = 1 ] || fail "exit $(cat "$root/rc")"
	[ "$(cat "$root/err")" = "exodb: user delete: not confirmed; alice is kept" ] ||
	    fail "stderr: $(cat "$root/err")"
	expect_unchanged
	tmux -S "$SOCK" kill-server
	term_start "'$EXODB' user delete ALICE"
	until_true on_screen "Delete user alice <alice@example.org>? [y/N] "
	keys y Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "exit $(cat "$root/rc"): $(cat "$root/err")"
	[ "$(db "SELECT count(*) FROM users")" = 0 ] || fail "not deleted"
}

# A random canary password set through create, passwd (typed on a terminal)
# and verify appears nowhere afterwards: not in the database or a journal,
# not on stdout or stderr, not on the screen, not in the command line or the
# environment of exodb while it holds it at the prompt.
t_canary() {
	need tmux
	seed
	canary="cn$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	printf '%s\n' "$canary" >"$root/canary"
	grep -qF "$canary" "$root/canary" || fail "grep cannot find the canary"
	xin "$canary" user create alice --email alice@example.org --password-stdin; expect_ok
	cat "$T/.out" "$T/.err" >"$root/outputs"
	term_start "'$EXODB' user passwd alice"
	until_true on_screen "New password for alice: "
	keys -l "$canary"; keys Enter
	until_true on_screen "Repeat the password: "
	pid=$(exodb_pid)
	[ -r "/proc/$pid/cmdline" ] || fail "cannot read /proc/$pid"
	tr '\0' '\n' <"/proc/$pid/cmdline" | grep -q 'passwd' || fail "not exodb's command line"
	! grep -qaF "$canary" "/proc/$pid/cmdline" || fail "canary in the command line"
	! grep -qaF "$canary" "/proc/$pid/environ" || fail "canary in the environment"
	keys -l "$canary"; keys Enter
	until_true finished
	[ "$(cat "$root/rc")" = 0 ] || fail "passwd: exit $(cat "$root/rc"): $(cat "$root/err")"
	screen >"$root/screen"
	cat "$root/err" >>"$root/outputs"
	xin "$canary" user verify alice --password-stdin; expect_ok
	cat "$T/.out" "$T/.err" >>"$root/outputs"
	xin "wrong $canary" user verify alice --password-stdin; expect_status 1
	cat "$T/.out" "$T/.err" >>"$root/outputs"
	! grep -qaF "$canary" "$root/outputs" || fail "canary on stdout or stderr"
	! grep -qaF "$canary" "$root/screen" || fail "canary on the screen"
	! grep -rqaF "$canary" "$T" || fail "canary in $(grep -rlaF "$canary" "$T")"
	[ -n "$(hash_of alice)" ] || fail "no hash"
}

run_tests
