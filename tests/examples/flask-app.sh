#!/bin/sh
# For README's adoption example (tests/examples.py runs it first, unseen): the
# older app's folder as the real Flask-Migrate makes it, with its 10,000 users
# (tests/flask-migrate-app.py), in the current folder.
set -e
flask() {
	/usr/bin/python3 -B -m flask --app "$TOP/tests/flask-migrate-app.py" "$@" >/dev/null
}
flask db init
flask db migrate -m "Users"
flask db upgrade
flask seed --rows 10000
