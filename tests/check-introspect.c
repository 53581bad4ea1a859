/* Unit tests of src/introspect.c: a live schema read into the structs. */
#include "unit.h"

static struct schema *
read_schema(sqlite3 *db)
{
	struct schema	*s;
	char		*cause = NULL;

	if (introspect_schema(db, &s, &cause) == -1)
		ck_abort_msg("%s", cause);
	return s;
}

START_TEST(test_introspect_columns)
{
	sqlite3			*db;
	struct schema		*s;
	const struct table	*t;
	const struct column	*c;

	db = unit_db("CREATE TABLE \"Users\" (\n"
	    "  id integer PRIMARY KEY AUTOINCREMENT,\n"
	    "  name VARCHAR(64) NOT NULL COLLATE nocase CHECK (length(name) > 0)"
	    " CHECK (name <> 'x'),\n"
	    "  role TEXT DEFAULT 'user' CONSTRAINT r CHECK(role IN ('a, b', 'c')),\n"
	    "  n INT DEFAULT (1 + 1),\n"
	    "  CONSTRAINT t CHECK (id > 0), UNIQUE (name, role)\n"
	    ")");
	s = read_schema(db);
	ck_assert_uint_eq(s->ntables, 1);
	t = schema_table(s, "users");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "Users");
	ck_assert_int_eq(t->autoincrement, 1);
	ck_assert_uint_eq(t->ncolumns, 4);
	c = schema_column(t, "NAME");
	ck_assert_str_eq(c->type, "VARCHAR(64)");
	ck_assert_int_eq(c->notnull, 1);
	ck_assert_str_eq(c->collation, "nocase");
	ck_assert_str_eq(c->check, "length(name) > 0");
	c = schema_column(t, "role");
	ck_assert_str_eq(c->dflt, "'user'");
	ck_assert_str_eq(c->check, "role IN ('a, b', 'c')");
	ck_assert_ptr_null(c->collation);
	c = schema_column(t, "n");
	ck_assert_str_eq(c->dflt, "1 + 1");
	ck_assert_int_eq(schema_column(t, "id")->pk, 1);
	/* A column's second CHECK and the table's own are table checks. */
	ck_assert_uint_eq(t->nchecks, 2);
	ck_assert_str_eq(t->checks[0], "name <> 'x'");
	ck_assert_str_eq(t->checks[1], "id > 0");
	ck_assert_uint_eq(t->nindexes, 1);
	ck_assert_int_eq(t->indexes[0].origin, 'u');
	ck_assert_uint_eq(t->indexes[0].ncolumns, 2);
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_introspect_indexes)
{
	sqlite3			*db;
	struct schema		*s;
	const struct index	*ix;

	db = unit_db("CREATE TABLE t (a, b, c); "
	    "CREATE UNIQUE INDEX u ON t (b COLLATE NOCASE, a DESC);"
	    "CREATE INDEX p ON t (c) WHERE c IS NOT NULL AND (a > 0);"
	    "CREATE INDEX e ON t (lower(a))");
	s = read_schema(db);
	ix = schema_index(&s->tables[0], "u");
	ck_assert_int_eq(ix->unique, 1);
	ck_assert_int_eq(ix->origin, 'c');
	ck_assert_str_eq(ix->columns[0].name, "b");
	ck_assert_str_eq(ix->columns[0].collation, "NOCASE");
	ck_assert_ptr_null(ix->columns[1].collation);
	ck_assert_int_eq(ix->columns[1].desc, 1);
	ck_assert_ptr_null(ix->where);
	ix = schema_index(&s->tables[0], "p");
	ck_assert_str_eq(ix->where, "c IS NOT NULL AND (a > 0)");
	ix = schema_index(&s->tables[0], "e");
	ck_assert_ptr_null(ix->columns[0].name);
	ck_assert_str_eq(ix->sql, "CREATE INDEX e ON t (lower(a))");
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_introspect_skips)
{
	sqlite3			*db;
	struct schema		*s;
	const struct table	*t;

	db = unit_db("CREATE TABLE exodb_revisions (id); "
	    "CREATE TABLE k (id INTEGER PRIMARY KEY AUTOINCREMENT); "
	    "INSERT INTO k DEFAULT VALUES; "
	    "CREATE VIRTUAL TABLE f USING fts5(body); "
	    "CREATE TABLE w (a PRIMARY KEY, b) WITHOUT ROWID;"
	    "CREATE TABLE st (a INTEGER) STRICT;"
	    "CREATE TABLE fk (x REFERENCES k (id), y, FOREIGN KEY (y) "
	    "REFERENCES w (a));"
	    "CREATE VIEW v AS SELECT * FROM k;"
	    "CREATE TRIGGER tr AFTER INSERT ON k BEGIN SELECT 1; END;");
	s = read_schema(db);
	/* Not the history table, sqlite_sequence, fts5 or its shadows. */
	ck_assert_uint_eq(s->ntables, 4);
	ck_assert_str_eq(s->tables[0].name, "k");
	ck_assert_uint_eq(s->tables[0].ntriggers, 1);
	ck_assert_str_eq(s->tables[0].triggers[0],
	    "CREATE TRIGGER tr AFTER INSERT ON k BEGIN SELECT 1; END");
	ck_assert_int_eq(schema_table(s, "w")->without_rowid, 1);
	ck_assert_int_eq(schema_table(s, "st")->strict, 1);
	t = schema_table(s, "fk");
	ck_assert_uint_eq(t->nfks, 2);
	ck_assert_str_eq(t->fks[0].table, "k");
	ck_assert_str_eq(t->fks[0].from[0], "x");
	ck_assert_str_eq(t->fks[0].to[0], "id");
	ck_assert_str_eq(t->fks[1].from[0], "y");
	ck_assert_uint_eq(s->nviews, 1);
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

/*
 * Introspection asks for indexes and foreign keys only where there may be
 * some: what ALTER TABLE and a later CREATE INDEX add, and a WITHOUT ROWID
 * table's primary key, must still be found.
 */
START_TEST(test_introspect_asks_where_needed)
{
	sqlite3			*db;
	struct schema		*s;
	const struct table	*t;

	db = unit_db("CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (x);"
	    "ALTER TABLE c ADD COLUMN pid INTEGER ReFeReNcEs p (id);"
	    "CREATE TABLE later (a, b);"
	    "CREATE INDEX ix_later ON LATER (b);"
	    "CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
	    "CREATE INDEX ix_w_b ON w (v); CREATE INDEX ix_w_a ON w (v, k);"
	    "CREATE TABLE plain (a, b)");
	s = read_schema(db);
	t = schema_table(s, "c");
	ck_assert_uint_eq(t->nfks, 1);
	ck_assert_str_eq(t->fks[0].table, "p");
	ck_assert_uint_eq(t->nindexes, 0);
	t = schema_table(s, "later");
	ck_assert_uint_eq(t->nindexes, 1);
	ck_assert_str_eq(t->indexes[0].name, "ix_later");
	t = schema_table(s, "w");
	ck_assert_int_eq(t->without_rowid, 1);
	/* The primary key (no row in sqlite_schema) first, then as made. */
	ck_assert_uint_eq(t->nindexes, 3);
	ck_assert_int_eq(t->indexes[0].origin, 'p');
	ck_assert_str_eq(t->indexes[1].name, "ix_w_b");
	ck_assert_str_eq(t->indexes[2].name, "ix_w_a");
	t = schema_table(s, "plain");
	ck_assert_uint_eq(t->nindexes, 0);
	ck_assert_uint_eq(t->nfks, 0);
	ck_assert_uint_eq(schema_table(s, "p")->nfks, 0);
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_introspect_empty)
{
	sqlite3		*db = unit_db(NULL);
	struct schema	*s;

	s = read_schema(db);
	ck_assert_uint_eq(s->ntables, 0);
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

/*
 * One read transaction of its own, ended before it returns; inside the
 * caller's, that one, left open.
 */
START_TEST(test_introspect_transaction)
{
	sqlite3		*db = unit_db("CREATE TABLE t (a);");
	struct schema	*s;

	s = read_schema(db);
	ck_assert_int_eq(sqlite3_get_autocommit(db), 1);
	schema_free(s);
	unit_exec(db, "BEGIN; CREATE TABLE u (b)");
	s = read_schema(db);
	ck_assert_int_eq(sqlite3_get_autocommit(db), 0);
	ck_assert_ptr_nonnull(schema_table(s, "u"));
	schema_free(s);
	unit_exec(db, "ROLLBACK");
	s = read_schema(db);
	ck_assert_ptr_null(schema_table(s, "u"));
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("introspect");
	TCase	*tc;

	tc = tcase_create("introspect_schema");
	tcase_add_test(tc, test_introspect_columns);
	tcase_add_test(tc, test_introspect_indexes);
	tcase_add_test(tc, test_introspect_skips);
	tcase_add_test(tc, test_introspect_asks_where_needed);
	tcase_add_test(tc, test_introspect_empty);
	tcase_add_test(tc, test_introspect_transaction);
	suite_add_tcase(s, tc);
	return s;
}
