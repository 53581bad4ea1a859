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

# .Os names exodb and the version --version prints; SYNOPSIS shows the
# group help; every mark the listing commands print is explained.
t_manual_names_version_help_and_markers() {
	local version mark
	version=$("$EXODB" --version | sed -n '1s/^exodb \([^ ]*\) .*/\1/p')
	[ -n "$version" ] || fail "--version gives no version"
	grep -qx "\.Os exodb $version" "$MAN" || fail ".Os does not say exodb $version"
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$MAN" |
	    grep -qx '\.Cm db | user' || fail "SYNOPSIS lacks exodb db|user --help"
	x db --help; expect_ok; expect_out '^usage: exodb \[global options\] db COMMAND'
	x user --help; expect_ok; expect_out '^usage: exodb \[global options\] user COMMAND'
	for mark in "(head)" "(mergepoint)" "(branchpoint)" "(file_missing)" \
	    "[applied]" "[pending]" "[changed]"; do
		mark=${mark//_/ }
		grep -qF -- "Li $mark" "$MAN" || fail "the manual does not explain $mark"
	done
	# Every mark the source prints is one of those.
	for mark in $(grep -ho '" ([a-z ]*)' "$TOP"/src/*.c | sed 's/^" //' |
	    grep -E 'head|point|missing' | tr ' ' '_' | sort -u); do
		grep -qF -- "Li ${mark//_/ }" "$MAN" || fail "the manual does not explain ${mark//_/ }"
	done
	grep -q 'DATABASE.YYYYMMDDHHMMSS.bak' "$MAN" || fail "backup naming undocumented"
}

# The usage line of a command's --help, its continuation lines joined.
help_usage() {
	awk 'NR == 1 {sub(/^usage: /, ""); u = $0; next}
	     /^[ \t]/ {sub(/^[ \t]+/, " "); u = u $0; next}
	     {print u; exit}'
}

t_every_command_is_in_the_manual() {
	local group name usage
	for group in db user completion; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			usage=$("$EXODB" $group "$name" --help | help_usage)
			man_commands | grep -qxF -- "$usage" || fail "the manual lacks '$usage'"
			grep -q "^\.It Ic $group $name" "$MAN" || fail "the manual does not describe $group $name"
		done
	done
	info "commands checked against the manual: $("$EXODB" --help | grep -c '^  exodb ')"
}

t_the_manual_lists_no_other_command() {
	man_commands | while read -r line; do
		read -r _ group name _ <<<"$line"
		set -- exodb "$group" "$name"
		x "$2" "$3" --help
		expect_ok
		[ "$(help_usage <"$T/.out")" = "$line" ] || fail "'$line' is not what --help says"
	done
}

t_every_option_is_in_the_manual() {
	local group name opt
	for opt in $("$EXODB" --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "Fl -${opt#--}\b" "$MAN" || fail "the manual lacks $opt"
	done
	for group in db user completion; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			for opt in $("$EXODB" $group "$name" --help | grep -o -- '--[a-z-]*' | sort -u); do
				grep -q -- "Fl -${opt#--}\b" "$MAN" || fail "the manual lacks $group $name $opt"
			done
		done
	done
}

t_the_manual_has_no_other_option() {
	local opt all
	all=$({ "$EXODB" --help; for group in db user completion; do
		for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
			"$EXODB" $group "$name" --help
		done; done; } | grep -o -- '--[a-z-]*' | sort -u)
	grep -o 'Fl -[a-z][a-z-]*' "$MAN" | sed 's/Fl -/--/' | sort -u |
	while read -r opt; do
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

# Every --help, exodb's, each group's and each command's, fits 80 columns.
t_help_fits_80_columns() {
	local group name n=0
	{
		"$EXODB" --help
		for group in $("$EXODB" --help | sed -n 's/^  exodb \([a-z]*\) .*/\1/p' | sort -u); do
			"$EXODB" "$group" --help
			for name in $("$EXODB" --help | sed -n "s/^  exodb $group \([a-z-]*\).*/\1/p"); do
				"$EXODB" "$group" "$name" --help
			done
		done
	} >"$T/help" || fail "a --help failed"
	n=$(grep -c '^usage: ' "$T/help")
	[ "$n" -gt 25 ] || fail "only $n --help outputs"
	expand "$T/help" | awk 'length > 80 {print "line " NR " is " length " columns: " $0; bad = 1}
	    END {exit bad}' >"$T/wide" || fail "$(cat "$T/wide")"
	info "--help outputs checked for 80 columns: $n"
}

run_tests
