"""An older exoplanet_analyzer: its database made by the real Flask-Migrate.

The app as it was before exodb: Flask-SQLAlchemy with Flask-Migrate, and the
seed's User model, every column nullable and no default, as its
app/models.py declared it (tests/flask-client.py has the same model). Its
database is what a team adopting exodb has: tables made by Alembic's
autogenerate, an alembic_version row, and rows the model never stopped from
being written (a NULL role, a NULL password hash, 'Alice' beside 'alice').

tests/cli-adopt.sh makes the app's database with it, in a scratch folder:
    flask --app THIS db init      (migrations/: alembic.ini, env.py, ...)
    flask --app THIS db migrate   (versions/<rev>_users.py)
    flask --app THIS db upgrade   (instance/dev.db, alembic_version)
    flask --app THIS seed         (the rows, below)
The database is instance/dev.db in the current folder, where exodb looks.
"""
import hashlib
import os

import click
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__, instance_path=os.path.join(os.getcwd(), "instance"))
# Flask-SQLAlchemy 3 puts a relative SQLite path in the instance folder.
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///dev.db"
db = SQLAlchemy(app)
migrate = Migrate(app, db)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), index=True, unique=True)
    email = db.Column(db.String(120), index=True, unique=True)
    password_hash = db.Column(db.String(256))
    role = db.Column(db.String(20))
    is_approved = db.Column(db.Boolean)


def fake_hash(i):
    """A string shaped like werkzeug's generate_password_hash() output.

    Never verified by anything: computing 10,000 real hashes would take
    minutes and tell the tests nothing more.
    """
    digest = hashlib.sha256(b"password %d" % i).hexdigest()
    return "pbkdf2:sha256:600000$%s$%s" % (digest[:16], digest)


@app.cli.command("seed")
@click.option("--rows", default=10000, show_default=True)
def seed(rows):
    """Insert ROWS users, with the faults the model let through.

    Row i (1-based) is user%05d; every 100th row (100 of 10,000) has a NULL
    role; row 2 is 'Alice' beside row 1's 'alice'; row 3 has a NULL
    password_hash. The values are a function of i, so two runs give equal
    databases.
    """
    users = []
    for i in range(1, rows + 1):
        users.append({
            "id": i,
            "username": "user%05d" % i,
            "email": "user%05d@example.org" % i,
            "password_hash": fake_hash(i),
            "role": None if i % 100 == 0 else ("admin" if i % 7 == 0
                                              else "user"),
            "is_approved": i % 3 != 0,
        })
    users[0]["username"] = "alice"
    users[1]["username"] = "Alice"
    users[2]["password_hash"] = None
    db.session.execute(User.__table__.insert(), users)
    db.session.commit()
    print("seeded %d users" % rows)
