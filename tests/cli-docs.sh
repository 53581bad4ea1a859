# The documentation describes what exists and nothing else: the manual's
# command list and options against --help, and README's quick start.
. "$(dirname "$0")/lib.sh"

MAN="$TOP/man/exodb.1"

# The manual's command list, one command a line: a line that starts with
# spaces continues the one before it.
man_commands() {
	sed -n '/^\.Bd -literal/,/^\.Ed/p' "$MAN" |
	    awk '/^[ \t]/ {sub(/^[ \t]+/, " "); line = line $0; next}
		 {if (line != "") print line; line = $0}
		 END {if (line != "") print line}' |
	    grep '^exodb [a-z]* [a-z]'
}

t_every_command_is_in_the_manual() {
	local group name usage
	for group in db user; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			usage=$("$EXODB" $group "$name" --help | sed -n '1s/^usage: //p')
			man_commands | grep -qxF -- "$usage" || fail "the manual lacks '$usage'"
			grep -q "^\.It Ic $group $name" "$MAN" || fail "the manual does not describe $group $name"
		done
	done
	info "commands checked against the manual: $("$EXODB" --help | grep -c '^  exodb ')"
}

t_the_manual_lists_no_other_command() {
	man_commands | while read -r line; do
		set -- $line
		x "$2" "$3" --help
		expect_ok
		[ "$(sed -n '1s/^usage: //p' "$T/.out")" = "$line" ] || fail "'$line' is not what --help says"
	done
}

t_every_option_is_in_the_manual() {
	local group name opt
	for opt in $("$EXODB" --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "Fl -${opt#--}\b" "$MAN" || fail "the manual lacks $opt"
	done
	for group in db user; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			for opt in $("$EXODB" $group "$name" --help | grep -o -- '--[a-z-]*' | sort -u); do
				grep -q -- "Fl -${opt#--}\b" "$MAN" || fail "the manual lacks $group $name $opt"
			done
		done
	done
}

t_the_manual_has_no_other_option() {
	local opt all
	all=$({ "$EXODB" --help; for group in db user; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			"$EXODB" $group "$name" --help
		done; done; } | grep -o -- '--[a-z-]*' | sort -u)
	for opt in $(grep -o 'Fl -[a-z][a-z-]*' "$MAN" | sed 's/Fl -/--/' | sort -u); do
		echo "$all" | grep -qx -- "$opt" || fail "the manual describes $opt, which no command has"
	done
}

t_readme_quick_start_is_two_commands() {
	sed -n '/^## Quick start/,/^## /p' "$TOP/README.md" | sed -n '/^```/,/^```/p' | grep -v '^```' >"$T/qs"
	[ "$(cat "$T/qs")" = "make run
make check" ] || fail "quick start: $(cat "$T/qs")"
}

t_the_manual_names_the_environment() {
	grep -q '^\.It Ev EXODB_DATABASE' "$MAN" || fail "EXODB_DATABASE"
	grep -q '^\.It Ev EXODB_MODEL' "$MAN" || fail "EXODB_MODEL"
	grep -q '^\.It Ev EXODB_TIMEOUT' "$MAN" || fail "EXODB_TIMEOUT"
	x --help; expect_out 'EXODB_DATABASE'; expect_out 'EXODB_MODEL'
	expect_out 'EXODB_TIMEOUT'
}

# Rendered at 80 columns by either formatter README names, no line of the
# manual is wider.
t_the_manual_fits_80_columns() {
	need man mandoc
	LC_ALL=C MANWIDTH=80 man -l "$MAN" >"$T/man-db" 2>"$T/man-db.err" ||
	    fail "man -l: $(cat "$T/man-db.err")"
	mandoc -T ascii -O width=80 "$MAN" | sed 's/.\x08//g' >"$T/mandoc" ||
	    fail "mandoc failed"
	for f in man-db mandoc; do
		[ "$(wc -l <"$T/$f")" -gt 100 ] || fail "$f rendered only $(wc -l <"$T/$f") lines"
		expand "$T/$f" | awk -v f="$f" 'length > 80 {print f ": line " NR " is " length " columns: " $0; bad = 1}
		    END {exit bad}' >"$T/wide" || fail "$(cat "$T/wide")"
	done
}

run_tests
