# The examples of README.md and of the manual's EXAMPLES section, run in
# scratch folders by tests/examples.py and compared with the text (ids,
# checksums, salts and times masked).
. "$(dirname "$0")/lib.sh"

t_readme_examples_print_what_readme_says() {
	need /usr/bin/python3 git make
	run /usr/bin/python3 "$TOP/tests/examples.py" check "$TOP/README.md" "$EXODB"
	expect_status 0
	info "$(tail -n 1 "$T/.out")"
}

t_manual_examples_print_what_the_manual_says() {
	need /usr/bin/python3
	run /usr/bin/python3 "$TOP/tests/examples.py" check "$TOP/man/exodb.1" "$EXODB"
	expect_status 0
	info "$(tail -n 1 "$T/.out")"
}

# The runner notices an output the text gets wrong, and an unmasked id.
t_an_example_out_of_date_is_caught() {
	need /usr/bin/python3
	cat >ex.md <<-'END'
	```
	$ exodb -q db init
	$ exodb db migrate -m "Initial user model"
	detected create table users
	migrations/versions/20240101000000_initial_user_model.sql
	$ exodb db upgrade
	applied 20240101000000 Initial user model
	$ exodb db current
	20240101000000 (head)
	```
	END
	run /usr/bin/python3 "$TOP/tests/examples.py" check ex.md "$EXODB"
	expect_status 0
	sed -i 's/^20240101000000 (head)$/20240101000000 (mergepoint)/' ex.md
	run /usr/bin/python3 "$TOP/tests/examples.py" check ex.md "$EXODB"
	expect_status 1
	expect_out '^ex\.md:8: \$ exodb db current$'
	expect_out '1 differ$'
}

# A command whose id comes from an earlier output gets that output's id.
t_an_id_in_a_command_stands_for_the_printed_one() {
	need /usr/bin/python3
	cat >ex.md <<-'END'
	```
	$ exodb -q db init
	$ exodb db migrate -m "Initial user model"
	detected create table users
	migrations/versions/20240101000000_initial_user_model.sql
	$ ls migrations/versions/20240101000000_initial_user_model.sql
	migrations/versions/20240101000000_initial_user_model.sql
	```
	END
	run /usr/bin/python3 "$TOP/tests/examples.py" check ex.md "$EXODB"
	expect_status 0
}

run_tests
