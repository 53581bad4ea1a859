/* Unit tests of src/datacheck.c: the rows a change would break, found first. */
#include "unit.h"

/*
 * The notes and refusals for bringing a database holding sql to the model
 * model_sql, checked against the database's rows.
 */
static struct datacheck *
check(sqlite3 *db, const char *model_sql, struct schema **live,
    struct schema **model, struct diff **d)
{
	struct datacheck	*dc = NULL;
	char			*cause = NULL;

	ck_assert_msg(model_parse("model.sql", model_sql, model, &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(introspect_schema(db, live, &cause), 0);
	ck_assert_int_eq(diff_schemas(*live, *model, 0, d, &cause), 0);
	ck_assert_msg(datacheck_run(db, *d, *model, &dc, &cause) == 0, "%s",
	    cause);
	return dc;
}

static void
done(struct datacheck *dc, struct schema *live, struct schema *model,
    struct diff *d, sqlite3 *db)
{
	datacheck_free(dc);
	diff_free(d);
	schema_free(live);
	schema_free(model);
	sqlite3_close(db);
}

/* NOT NULL with a default: a note counting the NULLs filled, no refusal. */
START_TEST(test_datacheck_not_null_filled)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE users (id INTEGER PRIMARY KEY, role TEXT);"
	    "INSERT INTO users (role) VALUES (NULL), ('admin'), (NULL)");
	dc = check(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, role TEXT "
	    "NOT NULL DEFAULT 'user');", &live, &model, &d);
	ck_assert_uint_eq(dc->nrefusals, 0);
	ck_assert_uint_eq(dc->nnotes, 1);
	ck_assert_str_eq(dc->notes[0], "2 NULL values of users.role become "
	    "'user'");
	done(dc, live, model, d, db);
}
END_TEST

/* NOT NULL without a default over NULLs: refused, the rows named. */
START_TEST(test_datacheck_not_null_refused)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE users (id INTEGER PRIMARY KEY, h TEXT);"
	    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
	    "WHERE n < 20) INSERT INTO users (id, h) SELECT n, CASE WHEN n % 3 "
	    "THEN 'x' END FROM c");
	dc = check(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, h TEXT NOT "
	    "NULL);", &live, &model, &d);
	ck_assert_uint_eq(dc->nnotes, 0);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "users.h becomes NOT NULL, but 6 "
	    "rows hold NULL (id 3, 6, 9, 12, 15, ...); fix the rows first, "
	    "e.g. UPDATE \"users\" SET \"h\" = ... WHERE \"h\" IS NULL, or give "
	    "the column a DEFAULT");
	done(dc, live, model, d, db);
}
END_TEST

/* A new NOT NULL column without a default: refused when the table has rows. */
START_TEST(test_datacheck_new_column)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;
	const char		*m = "CREATE TABLE t (id INTEGER PRIMARY KEY, "
				    "x TEXT NOT NULL);";

	db = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY)");
	dc = check(db, m, &live, &model, &d);
	ck_assert_uint_eq(dc->nrefusals, 0);
	done(dc, live, model, d, db);
	db = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY);"
	    "INSERT INTO t VALUES (1), (2)");
	dc = check(db, m, &live, &model, &d);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "t.x is added NOT NULL without a "
	    "DEFAULT, but t has 2 rows, which it can only fail: give it a "
	    "DEFAULT, or add it nullable, fill it, then make it NOT NULL");
	done(dc, live, model, d, db);
}
END_TEST

/* UNIQUE under NOCASE: Alice and alice collide; Bob alone does not. */
START_TEST(test_datacheck_unique_nocase)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);"
	    "CREATE UNIQUE INDEX ix_u_name ON u (name);"
	    "INSERT INTO u (name) VALUES ('Alice'), ('Bob'), ('alice'), (NULL),"
	    "(NULL)");
	dc = check(db, "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT "
	    "COLLATE NOCASE); CREATE UNIQUE INDEX ix_u_name ON u (name);",
	    &live, &model, &d);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "UNIQUE (name) of u without regard "
	    "to case is broken by 2 rows that share a value (id 1, 3); fix the "
	    "rows first: make their values differ (UPDATE) or DELETE the extra "
	    "ones");
	done(dc, live, model, d, db);
	/* A unique index the live table already has is not checked again. */
	db = unit_db("CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT, x);"
	    "CREATE UNIQUE INDEX ix_u_name ON u (name COLLATE NOCASE);"
	    "INSERT INTO u (name) VALUES ('a'), ('b')");
	dc = check(db, "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT); "
	    "CREATE UNIQUE INDEX ix_u_name ON u (name COLLATE NOCASE);", &live,
	    &model, &d);
	ck_assert_uint_eq(dc->nrefusals, 0);
	done(dc, live, model, d, db);
}
END_TEST

/* CHECK over the rows as the new table holds them (defaults filled). */
START_TEST(test_datacheck_check)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE u (id INTEGER PRIMARY KEY, role TEXT);"
	    "INSERT INTO u (role) VALUES ('user'), (NULL), ('boss'), ('ADMIN')");
	dc = check(db, "CREATE TABLE u (id INTEGER PRIMARY KEY, role TEXT NOT "
	    "NULL DEFAULT 'user' COLLATE NOCASE CHECK (role IN ('user', "
	    "'admin')));", &live, &model, &d);
	ck_assert_uint_eq(dc->nnotes, 1);
	/* ADMIN passes under the column's NOCASE, as it would in the table. */
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "CHECK (role IN ('user', 'admin')) "
	    "of u fails for 1 row (id 3); fix the rows first: UPDATE or DELETE "
	    "those WHERE NOT (role IN ('user', 'admin'))");
	done(dc, live, model, d, db);
}
END_TEST

/* A foreign key new to the table: rows naming no parent, by their key. */
START_TEST(test_datacheck_foreign_key)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (a INTEGER, b TEXT, pid INTEGER, PRIMARY KEY (a, b));"
	    "INSERT INTO p VALUES (1);"
	    "INSERT INTO c VALUES (1, 'x', 1), (2, 'y', 7), (3, 'z', NULL)");
	dc = check(db, "CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (a INTEGER, b TEXT, pid INTEGER REFERENCES p);",
	    &live, &model, &d);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "FOREIGN KEY (pid) of c is broken by "
	    "1 row that references no row of p ((a, b) (2, 'y')); fix the rows "
	    "first: point them at rows that exist, set them NULL, or DELETE "
	    "them");
	done(dc, live, model, d, db);
}
END_TEST

/* What a diff drops, with the rows or values it holds. */
START_TEST(test_datacheck_dropped)
{
	sqlite3		*db;
	struct schema	*live, *model;
	struct diff	*d;
	char		*cause = NULL, *text;
	int		 held;

	db = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, x, y);"
	    "CREATE TABLE gone (a); CREATE TABLE empty (a);"
	    "INSERT INTO t (x) VALUES (1), (NULL); INSERT INTO gone VALUES (1)");
	ck_assert_int_eq(model_parse("m", "CREATE TABLE t (id INTEGER PRIMARY "
	    "KEY, y);", &model, &cause), 0);
	ck_assert_int_eq(introspect_schema(db, &live, &cause), 0);
	ck_assert_int_eq(diff_schemas(live, model, DIFF_DROP_UNKNOWN, &d,
	    &cause), 0);
	text = datacheck_dropped(db, d, &held);
	ck_assert_str_eq(text, "column t.x (1 value), table gone (1 row), "
	    "table empty (0 rows)");
	ck_assert_int_eq(held, 1);
	free(text);
	text = datacheck_dropped(NULL, d, NULL);
	ck_assert_str_eq(text, "column t.x, table gone, table empty");
	free(text);
	diff_free(d);
	schema_free(model);
	schema_free(live);
	sqlite3_close(db);
}
END_TEST

/* A revision's operations, found by replay; a plan's drops of data. */
START_TEST(test_datacheck_revision)
{
	sqlite3			*db;
	struct revision		 rev;
	struct plan		 plan;
	struct revision		*revs[1];
	struct datacheck	*dc;
	char			*cause = NULL, *lost;

	db = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
	    "CREATE TABLE e (a); INSERT INTO t (v) VALUES ('a'), ('A')");
	memset(&rev, 0, sizeof rev);
	rev.path = (char *)"r.sql";
	rev.upgrade = (char *)"CREATE UNIQUE INDEX ix ON t (v COLLATE NOCASE);";
	rev.downgrade = (char *)"DROP TABLE e; DROP TABLE t;";
	ck_assert_int_eq(datacheck_revision(db, &rev, 1, &dc, &cause), 0);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_ptr_nonnull(strstr(dc->refusals[0], "(id 1, 2)"));
	datacheck_free(dc);
	revs[0] = &rev;
	plan.up = 0;
	plan.revs = revs;
	plan.nrevs = 1;
	ck_assert_int_eq(datacheck_plan_drops(db, &plan, &lost, &cause), 0);
	ck_assert_str_eq(lost, "table t (2 rows), table e (0 rows)");
	free(lost);
	/* A column a rebuild leaves out, with its values. */
	rev.downgrade = (char *)"CREATE TABLE n (id INTEGER PRIMARY KEY); "
	    "INSERT INTO n SELECT id FROM t; DROP TABLE t; "
	    "ALTER TABLE n RENAME TO t;";
	ck_assert_int_eq(datacheck_plan_drops(db, &plan, &lost, &cause), 0);
	ck_assert_str_eq(lost, "column t.v (2 values)");
	free(lost);
	/* Only empty tables dropped: nothing to ask about. */
	rev.downgrade = (char *)"DROP TABLE e;";
	ck_assert_int_eq(datacheck_plan_drops(db, &plan, &lost, &cause), 0);
	ck_assert_ptr_null(lost);
	/*
	 * A section that does not run tells nothing (the runner reports it,
	 * at its line), and the database is untouched.
	 */
	rev.downgrade = (char *)"DROP TABLE nowhere;";
	ck_assert_int_eq(datacheck_plan_drops(db, &plan, &lost, &cause), 0);
	ck_assert_ptr_null(lost);
	CK_STR(unit_query(db, "SELECT group_concat(name, ' ') FROM "
	    "sqlite_schema"), "t e");
	sqlite3_close(db);
}
END_TEST

/*
 * A table without a primary key names its rows by rowid; a new INTEGER
 * PRIMARY KEY column is the rowid itself, so it needs no default.
 */
START_TEST(test_datacheck_rowid)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE t (v TEXT);"
	    "INSERT INTO t VALUES ('a'), (NULL), (NULL)");
	dc = check(db, "CREATE TABLE t (v TEXT NOT NULL);", &live, &model, &d);
	ck_assert_uint_eq(dc->nnotes, 0);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "t.v becomes NOT NULL, but 2 rows "
	    "hold NULL (rowid 2, 3); fix the rows first, e.g. UPDATE \"t\" SET "
	    "\"v\" = ... WHERE \"v\" IS NULL, or give the column a DEFAULT");
	done(dc, live, model, d, db);
	db = unit_db("CREATE TABLE t (v TEXT);"
	    "INSERT INTO t VALUES ('a'), (NULL), (NULL)");
	dc = check(db, "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, "
	    "v TEXT);", &live, &model, &d);
	ck_assert_uint_eq(dc->nnotes, 0);
	ck_assert_uint_eq(dc->nrefusals, 0);
	done(dc, live, model, d, db);
}
END_TEST

/* A table CHECK the table lacked is checked; one it had is not again. */
START_TEST(test_datacheck_table_check)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT, "
	    "CHECK (a >= 0));"
	    "INSERT INTO t VALUES (1, 1, 2), (2, 3, 1), (3, 0, 5)");
	dc = check(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT, "
	    "CHECK (a >= 0), CHECK (a < b));", &live, &model, &d);
	ck_assert_uint_eq(dc->nnotes, 0);
	ck_assert_uint_eq(dc->nrefusals, 1);
	ck_assert_str_eq(dc->refusals[0], "CHECK (a < b) of t fails for 1 row "
	    "(id 2); fix the rows first: UPDATE or DELETE those WHERE NOT "
	    "(a < b)");
	done(dc, live, model, d, db);
}
END_TEST

/*
 * Foreign keys on a rebuilt table: one it had is not checked again; a new
 * one without a column list references the parent's primary key; one to a
 * table the database lacks is broken by every row that is not NULL; one
 * whose parent has no key to match, or that names no column of a parent the
 * model lacks, is left to the runner to report.
 */
START_TEST(test_datacheck_foreign_key_kinds)
{
	sqlite3			*db;
	struct schema		*live, *model;
	struct diff		*d;
	struct datacheck	*dc;

	db = unit_db("CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE nokey (x);"
	    "CREATE TABLE c (id INTEGER PRIMARY KEY, "
	    "p INT REFERENCES p (id), q INT, r INT, s INT, t INT);"
	    "INSERT INTO p VALUES (1);"
	    "INSERT INTO c VALUES (1, 9, 1, 5, 7, 1), (2, 1, 8, NULL, 7, 1), "
	    "(3, NULL, NULL, 6, NULL, 1)");
	dc = check(db, "CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE nokey (x);"
	    "CREATE TABLE gone (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (id INTEGER PRIMARY KEY, "
	    "p INT REFERENCES p (id), q INT REFERENCES p, "
	    "r INT REFERENCES gone (id), s INT REFERENCES nokey, "
	    "t INT REFERENCES absent);",
	    &live, &model, &d);
	ck_assert_uint_eq(dc->nnotes, 0);
	ck_assert_uint_eq(dc->nrefusals, 2);
	ck_assert_str_eq(dc->refusals[0], "FOREIGN KEY (q) of c is broken by "
	    "1 row that references no row of p (id 2); fix the rows first: "
	    "point them at rows that exist, set them NULL, or DELETE them");
	ck_assert_str_eq(dc->refusals[1], "FOREIGN KEY (r) of c is broken by "
	    "2 rows that reference no row of gone (id 1, 3); fix the rows "
	    "first: point them at rows that exist, set them NULL, or DELETE "
	    "them");
	done(dc, live, model, d, db);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("datacheck");
	TCase	*tc;

	tc = tcase_create("datacheck_run");
	tcase_add_test(tc, test_datacheck_not_null_filled);
	tcase_add_test(tc, test_datacheck_not_null_refused);
	tcase_add_test(tc, test_datacheck_new_column);
	tcase_add_test(tc, test_datacheck_unique_nocase);
	tcase_add_test(tc, test_datacheck_check);
	tcase_add_test(tc, test_datacheck_foreign_key);
	tcase_add_test(tc, test_datacheck_rowid);
	tcase_add_test(tc, test_datacheck_table_check);
	tcase_add_test(tc, test_datacheck_foreign_key_kinds);
	suite_add_tcase(s, tc);
	tc = tcase_create("datacheck_dropped");
	tcase_add_test(tc, test_datacheck_dropped);
	suite_add_tcase(s, tc);
	tc = tcase_create("datacheck_revision");
	tcase_add_test(tc, test_datacheck_revision);
	suite_add_tcase(s, tc);
	return s;
}
