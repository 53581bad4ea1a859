"""The app as a client of the database exodb makes.

The seed's User model, as its app/models.py declares it: every column
nullable in Python and no Python default, so SQLAlchemy sends an explicit
NULL for what the code leaves unset. Run by tests/cli-model.sh with Debian's
python3-flask-sqlalchemy (Flask-SQLAlchemy 3.0, SQLAlchemy 1.4) against a
database made by 'exodb db upgrade'; usage: flask-client.py DATABASE.
Prints one line per check; exits 1 at the first that fails.
"""
import os
import sys

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.abspath(sys.argv[1])
db = SQLAlchemy(app)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), index=True, unique=True)
    email = db.Column(db.String(120), index=True, unique=True)
    password_hash = db.Column(db.String(256))
    role = db.Column(db.String(20))
    is_approved = db.Column(db.Boolean)


def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)


with app.app_context():
    u = User(username="alice", email="alice@example.org",
             password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
    db.session.add(u)
    db.session.commit()
    db.session.refresh(u)
    check("insert without role: role %r, is_approved %r" % (u.role, u.is_approved),
          u.role == "user" and u.is_approved is False)

    found = User.query.filter_by(username="Alice").first()
    check("filter_by(username='Alice') finds stored 'alice'",
          found is not None and found.id == u.id)
    found = User.query.filter_by(email="ALICE@EXAMPLE.ORG").first()
    check("filter_by(email=...) ignores case too", found is not None)

    sql = str(User.query.filter_by(username="Alice").statement.compile(
        compile_kwargs={"literal_binds": True}))
    plan = " ".join(row[-1] for row in
                    db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    check("the lookup uses the unique index: " + plan,
          "USING INDEX ix_users_username" in plan)

    found.role = "admin"
    found.is_approved = True
    db.session.commit()
    row = db.session.execute(text(
        "SELECT role, is_approved FROM users WHERE id = :id"), {"id": u.id}).one()
    check("update: %r" % (tuple(row),), tuple(row) == ("admin", 1))

    db.session.add(User(username="ALICE", email="other@example.org",
                        password_hash="x"))
    try:
        db.session.commit()
        check("a duplicate differing only in case raises IntegrityError", False)
    except IntegrityError as e:
        db.session.rollback()
        check("a duplicate differing only in case raises IntegrityError: %s"
              % e.orig, "UNIQUE constraint failed: users.username" in str(e.orig))

    db.session.add(User(username="bob", email="Alice@Example.org",
                        password_hash="x"))
    try:
        db.session.commit()
        check("a duplicate email differing only in case raises IntegrityError",
              False)
    except IntegrityError:
        db.session.rollback()
        check("a duplicate email differing only in case raises IntegrityError",
              True)

    bob = User(username="bob", email="bob@example.org", password_hash="x")
    db.session.add(bob)
    db.session.commit()
    db.session.delete(bob)
    db.session.commit()
    check("delete", User.query.filter_by(username="BOB").first() is None)
    check("one user left", User.query.count() == 1)
