/* Unit tests of src/render.c. */
#include "unit.h"

/*
 * A schema without a verbatim table (the app's first model, which
 * tests/golden/model.sql keeps): introspected, it renders as written.
 */
static const char design_ddl[] =
"CREATE TABLE users (\n"
"\tid INTEGER NOT NULL PRIMARY KEY,\n"
"\tusername VARCHAR(64) NOT NULL,\n"
"\temail VARCHAR(120) NOT NULL,\n"
"\tpassword_hash VARCHAR(256) NOT NULL,\n"
"\trole VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),\n"
"\tis_approved BOOLEAN NOT NULL DEFAULT 0 CHECK (is_approved IN (0, 1))\n"
");\n"
"CREATE UNIQUE INDEX ix_users_username ON users (username COLLATE NOCASE);\n"
"CREATE UNIQUE INDEX ix_users_email ON users (email COLLATE NOCASE);\n";

START_TEST(test_render_schema)
{
	struct schema	*s;
	sqlite3		*db = unit_db(design_ddl);
	char		*cause = NULL;

	ck_assert_int_eq(introspect_schema(db, &s, &cause), 0);
	CK_STR(render_schema(s), design_ddl);
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

/* A key's collation is written only when it is not its column's. */
START_TEST(test_render_index_collation)
{
	struct schema	*s;
	sqlite3		*db = unit_db("CREATE TABLE t (a TEXT COLLATE NOCASE, "
	    "b TEXT); CREATE INDEX ta ON t (a); CREATE INDEX tb ON t (b COLLATE "
	    "NOCASE); CREATE INDEX tab ON t (a COLLATE BINARY, b)");
	char		*cause = NULL;

	ck_assert_int_eq(introspect_schema(db, &s, &cause), 0);
	CK_STR(render_index(&s->tables[0], &s->tables[0].indexes[0]),
	    "CREATE INDEX ta ON t (a)");
	CK_STR(render_index(&s->tables[0], &s->tables[0].indexes[1]),
	    "CREATE INDEX tb ON t (b COLLATE NOCASE)");
	CK_STR(render_index(&s->tables[0], &s->tables[0].indexes[2]),
	    "CREATE INDEX tab ON t (a COLLATE BINARY, b)");
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_render_ident)
{
	CK_STR(render_ident("users"), "users");
	CK_STR(render_ident("_x1"), "_x1");
	CK_STR(render_ident("order"), "\"order\"");
	CK_STR(render_ident("two words"), "\"two words\"");
	CK_STR(render_ident("qu\"ote"), "\"qu\"\"ote\"");
	CK_STR(render_ident("1st"), "\"1st\"");
	CK_STR(render_ident(""), "\"\"");
}
END_TEST

START_TEST(test_render_table)
{
	struct schema	*s;
	sqlite3		*db;
	char		*cause = NULL;

	db = unit_db("CREATE TABLE \"odd name\" (a INTEGER, b TEXT NOT NULL "
	    "DEFAULT (1 + 1) COLLATE NOCASE, c DEFAULT -1, \"select\" BLOB, "
	    "PRIMARY KEY (b, a), UNIQUE (c, a), CHECK (a > 0)) WITHOUT ROWID;"
	    "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, v ANY) "
	    "STRICT");
	ck_assert_int_eq(introspect_schema(db, &s, &cause), 0);
	CK_STR(render_table(&s->tables[0], NULL),
	    "CREATE TABLE \"odd name\" (\n"
	    "\ta INTEGER NOT NULL,\n"
	    "\tb TEXT NOT NULL DEFAULT (1 + 1) COLLATE NOCASE,\n"
	    "\tc DEFAULT -1,\n"
	    "\t\"select\" BLOB,\n"
	    "\tPRIMARY KEY (b, a),\n"
	    "\tUNIQUE (c, a),\n"
	    "\tCHECK (a > 0)\n"
	    ") WITHOUT ROWID");
	CK_STR(render_table(&s->tables[1], "exodb_new_s"),
	    "CREATE TABLE exodb_new_s (\n"
	    "\tid INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	    "\tv ANY\n"
	    ") STRICT");
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_render_index)
{
	struct schema	*s;
	sqlite3		*db;
	char		*cause = NULL;

	db = unit_db("CREATE TABLE t (a, b); CREATE UNIQUE INDEX ix ON t "
	    "(a COLLATE NOCASE, b DESC) WHERE a > 1; CREATE INDEX ex ON t "
	    "(a + b)");
	ck_assert_int_eq(introspect_schema(db, &s, &cause), 0);
	CK_STR(render_index(&s->tables[0], schema_index(&s->tables[0], "ix")),
	    "CREATE UNIQUE INDEX ix ON t (a COLLATE NOCASE, b DESC) WHERE a > 1");
	/* An index on an expression is kept as written. */
	CK_STR(render_index(&s->tables[0], schema_index(&s->tables[0], "ex")),
	    "CREATE INDEX ex ON t (a + b)");
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

/* The DDL renders back to what introspection reads from it. */
START_TEST(test_render_round_trip)
{
	struct schema	*s;
	sqlite3		*db;
	char		*cause = NULL, *ddl;

	ddl = render_schema(model_schema());
	db = unit_db(ddl);
	ck_assert_int_eq(introspect_schema(db, &s, &cause), 0);
	CK_STR(render_schema(s), ddl);
	free(ddl);
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("render");
	TCase	*tc;

	tc = tcase_create("render_schema");
	tcase_add_test(tc, test_render_schema);
	tcase_add_test(tc, test_render_index_collation);
	tcase_add_test(tc, test_render_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("render_ident");
	tcase_add_test(tc, test_render_ident);
	suite_add_tcase(s, tc);
	tc = tcase_create("render_table");
	tcase_add_test(tc, test_render_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("render_index");
	tcase_add_test(tc, test_render_index);
	suite_add_tcase(s, tc);
	return s;
}
