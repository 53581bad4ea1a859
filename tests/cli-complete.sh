# End-to-end tests of shell completion: the query the scripts ask (groups,
# commands, options, option values, revision ids, usernames), the bash and
# zsh scripts driven as the shells would, its bad input, its time, and what
# make install puts where.
. "$(dirname "$0")/lib.sh"

export EXODB_ARGON2_COST="m=19456,t=2,p=1"

# query INDEX WORD...: what exodb offers at WORD[INDEX], candidates only.
query() {
	x completion query -- "$@"
	expect_ok
}

# expect_words WORD...: the candidates are exactly these, in this order.
expect_words() {
	local want
	want=$(printf '%s\n' "$@")
	[ "$(sed 1d "$T/.out" | cut -f 1)" = "$want" ] ||
	    fail "candidates: $(sed 1d "$T/.out" | cut -f 1 | tr '\n' ' '), wanted $*"
	[ "$(head -n 1 "$T/.out")" = words ] || fail "kind: $(head -n 1 "$T/.out")"
}

users() {
	seed
	printf '%s\n' "correct horse" | "$EXODB" -q user create bob --email b@x.org --password-stdin >/dev/null ||
	    fail "create bob"
	printf '%s\n' "correct horse" | "$EXODB" -q user create Bea --email bea@x.org --password-stdin >/dev/null ||
	    fail "create Bea"
	printf '%s\n' "correct horse" | "$EXODB" -q user create carol --email c@x.org --password-stdin >/dev/null ||
	    fail "create carol"
}

t_query_groups_commands_options() {
	query 1 exodb ""
	expect_words db user completion
	expect_out $'^db\tSchema commands$'
	query 1 exodb u
	expect_words user
	query 2 exodb db up
	expect_words upgrade
	expect_out $'^upgrade\tapply revisions up to TARGET \\(default: head\\)$'
	query 2 exodb user ""
	expect_words create approve revoke list show set-role passwd delete verify
	query 1 exodb --d
	expect_words --database --directory
	query 3 exodb db upgrade --s
	expect_words --sql --single-transaction
	query 3 exodb user list --
	expect_words --pending --role --json --no-header --help
	# Global options before the group are stepped over, values and all.
	query 5 exodb -q -D x.db user cr
	expect_words create
	query 4 exodb --database=x.db -v db he
	expect_words heads
	# Nothing for what is not there.
	query 2 exodb nosuch ""
	expect_words
	query 3 exodb db nosuch ""
	expect_words
	query 0 exodb
	expect_words
}

t_query_option_values() {
	query 2 exodb -D ""
	[ "$(out)" = files ] || fail "-D: $(out)"
	query 2 exodb --model ""
	[ "$(out)" = files ] || fail "--model: $(out)"
	query 2 exodb -d ""
	[ "$(out)" = dirs ] || fail "-d: $(out)"
	query 4 exodb user list --role ""
	expect_words user admin
	query 4 exodb user set-role bob ad
	expect_words admin
	# A value that is free text: nothing to offer, and not an operand.
	query 4 exodb db migrate -m ""
	expect_words
	query 6 exodb db merge -m "a b" 2015 ""
	expect_words heads head
}

t_query_revisions() {
	seed
	rev 29990101000000 "$(ls migrations/versions | cut -c 1-14)" "SELECT 1;" "SELECT 1;" later "Later one"
	query 3 exodb db show ""
	expect_words head "$(ls migrations/versions | head -n 1 | cut -c 1-14)" 29990101000000
	expect_out $'^29990101000000\tLater one$'
	query 3 exodb db upgrade 2999
	expect_words 29990101000000
	query 3 exodb db downgrade ""
	expect_words head base "$(ls migrations/versions | head -n 1 | cut -c 1-14)" 29990101000000
	# One TARGET only: nothing after it.
	query 4 exodb db upgrade head ""
	expect_words
	# -1 is a target, not an option.
	query 4 exodb db downgrade -1 ""
	expect_words
	# The repository the line names with -d.
	mkdir other
	mv migrations other/
	query 3 exodb db show 2
	expect_words
	query 5 exodb -d other/migrations db show 2999
	expect_words 29990101000000
}

t_query_users() {
	users
	query 3 exodb user show ""
	expect_words Bea bob carol
	query 3 exodb user approve b
	expect_words Bea bob
	query 3 exodb user verify C
	expect_words carol
	# A new name is not completed from the old ones.
	query 3 exodb user create ""
	expect_words
	# The database the line names with -D; one that is missing offers
	# nothing, and is not created.
	mv instance/dev.db elsewhere.db
	snapshot
	query 3 exodb user show ""
	expect_words
	expect_unchanged
	query 5 exodb -D elsewhere.db user show ""
	expect_words Bea bob carol
	query 5 exodb -D nowhere.db user show ""
	expect_words
	[ ! -e nowhere.db ] || fail "the query created nowhere.db"
	# The value attached, or split off at its '=' as bash splits words.
	query 4 exodb -Delsewhere.db user show ""
	expect_words Bea bob carol
	query 4 exodb --database=elsewhere.db user show c
	expect_words carol
	query 6 exodb --database = elsewhere.db user show c
	expect_words carol
	query 5 exodb user list --role = a
	expect_words admin
	query 4 exodb user list --role =
	expect_words
	# A name the app stored with characters a shell would read is left out.
	q elsewhere.db "INSERT INTO users (username, email, password_hash) VALUES ('b\$(id)', 'e@x.org', 'h')"
	query 5 exodb -D elsewhere.db user show b
	expect_words Bea bob
}

# From a folder inside the project, as the commands find it; and -d or -D
# after the command, as the commands take them.
t_query_finds_the_project() {
	users
	mkdir -p app/templates
	(cd app/templates && "$EXODB" completion query -- 3 exodb user show "") >"$T/.out" ||
	    fail "query from app/templates"
	expect_words Bea bob carol
	(cd app/templates && "$EXODB" completion query -- 3 exodb db show "") >"$T/.out" ||
	    fail "query from app/templates"
	[ "$(sed 1d "$T/.out" | cut -f 1 | sed -n 2p)" = "$(ls migrations/versions | cut -c 1-14)" ] ||
	    fail "revisions from app/templates: $(cat "$T/.out")"
	mv migrations repo && mv instance/dev.db other.db
	query 5 exodb user show -D other.db ""
	expect_words Bea bob carol
	query 5 exodb db show -d repo ""
	[ "$(sed 1d "$T/.out" | cut -f 1 | sed -n 2p)" = "$(ls repo/versions | cut -c 1-14)" ] ||
	    fail "revisions with -d after the command: $(cat "$T/.out")"
}

t_bad_query() {
	seed
	bad 2 "^exodb: completion query: INDEX must be a number from 0 to 2, the words given\$" \
	    completion query -- 3 exodb db
	bad 2 "INDEX must be a number" completion query -- x exodb
	bad 2 "INDEX must be a number" completion query -- -1 exodb
	bad 2 "INDEX must be a number" completion query -- "" exodb
	bad 2 "^exodb: completion query: missing argument" completion query -- 1
	bad 2 "too many arguments" completion bash extra
	bad 2 "unknown command 'fish'" completion fish
}

# The bash script, run as bash runs a completion function.
t_bash_script() {
	users
	x completion bash; expect_ok
	cp "$T/.out" exodb.bash
	bash -n exodb.bash || fail "bash -n"
	cat >drive.bash <<-'EOF'
	. ./exodb.bash
	complete -p exodb >/dev/null || { echo "not registered"; exit 1; }
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_exodb
	printf '%s\n' "${COMPREPLY[@]}"
	EOF
	[ "$(bash drive.bash "$EXODB" db up)" = upgrade ] || fail "db up: $(bash drive.bash "$EXODB" db up)"
	[ "$(bash drive.bash "$EXODB" user show b | tr '\n' ' ')" = "Bea bob " ] ||
	    fail "user show b: $(bash drive.bash "$EXODB" user show b)"
	[ "$(bash drive.bash "$EXODB" user list --role "" | tr '\n' ' ')" = "user admin " ] ||
	    fail "--role"
	mkdir -p some/dir
	touch some/file.db
	[ "$(bash drive.bash "$EXODB" -D some/f)" = some/file.db ] || fail "-D: $(bash drive.bash "$EXODB" -D some/f)"
	[ "$(bash drive.bash "$EXODB" -d some/)" = some/dir ] || fail "-d: $(bash drive.bash "$EXODB" -d some/)"
}

# The zsh script, with zsh's completion functions replaced by ones that
# print what they are given.
t_zsh_script() {
	need zsh
	users
	x completion zsh; expect_ok
	cp "$T/.out" _exodb
	head -n 1 _exodb | grep -qx '#compdef exodb' || fail "no #compdef line"
	zsh -n _exodb || fail "zsh -n"
	cat >drive.zsh <<-'EOF'
	compdef() { print "compdef $*" }
	_describe() { local n=$4; print -rl -- "${(@P)n}" }
	_files() { print -r -- "_files $*" }
	source ./_exodb
	words=("$@")
	CURRENT=$#words
	_exodb
	EOF
	[ "$(zsh -f drive.zsh "$EXODB" db up)" = "compdef _exodb exodb
upgrade:apply revisions up to TARGET (default: head)" ] || fail "db up: $(zsh -f drive.zsh "$EXODB" db up)"
	[ "$(zsh -f drive.zsh "$EXODB" user show b | sed 1d | tr '\n' ' ')" = "Bea bob " ] ||
	    fail "user show b: $(zsh -f drive.zsh "$EXODB" user show b)"
	[ "$(zsh -f drive.zsh "$EXODB" -D "" | sed 1d)" = "_files " ] || fail "-D"
	[ "$(zsh -f drive.zsh "$EXODB" -d "" | sed 1d)" = "_files -/" ] || fail "-d"
}

# A query is one start of exodb: milliseconds, even with 10,000 users. (The
# time is only reported: under valgrind, 3 queries of each make the mean.)
t_query_time() {
	local start end n=20
	[ -z "${EXODB_VALGRIND:-}" ] || n=3
	seed
	q instance/dev.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
	    INSERT INTO users (username, email, password_hash) SELECT 'user' || i, 'u' || i || '@x.org', 'h' FROM n"
	query 3 exodb user show user999
	expect_words user999 user9990 user9991 user9992 user9993 user9994 user9995 user9996 user9997 user9998 user9999
	start=$(date +%s%N)
	for _ in $(seq "$n"); do
		"$EXODB" completion query -- 3 exodb user show user5 >/dev/null || fail "query failed"
	done
	end=$(date +%s%N)
	info "completion query (10,000 users, prefix user5): $(( (end - start) / n / 1000 )) us each, mean of $n"
	start=$(date +%s%N)
	for _ in $(seq "$n"); do
		"$EXODB" completion query -- 3 exodb db show "" >/dev/null || fail "query failed"
	done
	end=$(date +%s%N)
	info "completion query (revision ids): $(( (end - start) / n / 1000 )) us each, mean of $n"
}

# make install puts both scripts where bash-completion and zsh look, as
# exodb prints them.
t_make_install() {
	need make
	make -s -C "$TOP" install DESTDIR="$T/root" PREFIX=/usr >"$T/make.log" 2>&1 ||
	    fail "make install: $(cat "$T/make.log")"
	[ -x root/usr/bin/exodb ] || fail "no binary"
	[ -f root/usr/share/man/man1/exodb.1 ] || fail "no manual"
	cmp -s root/usr/share/bash-completion/completions/exodb <("$EXODB" completion bash) ||
	    fail "bash completion not installed as printed"
	cmp -s root/usr/share/zsh/site-functions/_exodb <("$EXODB" completion zsh) ||
	    fail "zsh completion not installed as printed"
	[ "$(stat -c %a root/usr/share/zsh/site-functions/_exodb)" = 644 ] || fail "mode"
	make -s -C "$TOP" uninstall DESTDIR="$T/root" PREFIX=/usr >"$T/make.log" 2>&1 ||
	    fail "make uninstall: $(cat "$T/make.log")"
	[ -z "$(find root -type f)" ] || fail "left: $(find root -type f)"
}

# A command without operands offers none; a '-' where a command goes offers
# --help; after '--' an operand is completed as one, never as an option.
t_query_odd_places() {
	seed
	query 3 exodb db current ""
	expect_words
	query 2 exodb db -
	expect_words --help
	query 4 exodb db show -- ""
	expect_words head "$(ls migrations/versions | cut -c 1-14)"
}

run_tests
