/* Unit tests of src/model.c: loading a model, its refusals and renames. */
#include <sys/stat.h>

#include "unit.h"

/* Parse sql as a model; returns the cause of the refusal, or NULL. */
static char *
refusal(const char *sql)
{
	struct schema	*s = NULL;
	char		*cause = NULL;

	if (model_parse("m.sql", sql, &s, &cause) == 0) {
		schema_free(s);
		return NULL;
	}
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(cause);
	return cause;
}

#define CK_REFUSED(sql, want) do {					\
	char *why_ = refusal(sql);					\
	ck_assert_msg(why_ != NULL, "accepted: %s", sql);		\
	ck_assert_msg(strstr(why_, want) != NULL, "refused with '%s', "	\
	    "not '%s'", why_, want);					\
	free(why_);							\
} while (0)

static struct schema *
parse(const char *sql)
{
	struct schema	*s = NULL;
	char		*cause = NULL;

	if (model_parse("m.sql", sql, &s, &cause) == -1)
		ck_abort_msg("%s", cause);
	return s;
}

/* The compiled-in model is src/model.sql, and reads back as itself. */
START_TEST(test_model_builtin)
{
	struct schema	*file = NULL, *again;
	char		*cause = NULL, *fp, *text;

	ck_assert_ptr_nonnull(model_schema());
	ck_assert_ptr_nonnull(schema_table(model_schema(), "users"));
	ck_assert_str_eq(model_builtin_name, "src/model.sql");
	ck_assert_int_eq(model_load("src/model.sql", &file, &cause), 0);
	fp = model_fingerprint(model_schema());
	CK_STR(model_fingerprint(file), fp);
	ck_assert_uint_eq(strlen(fp), 64);
	ck_assert_uint_eq(strspn(fp, "0123456789abcdef"), 64);
	/* Its rendering is a model with the same fingerprint. */
	text = model_render(file);
	again = parse(text);
	CK_STR(model_fingerprint(again), fp);
	free(text);
	free(fp);
	schema_free(again);
	schema_free(file);
}
END_TEST

/* What SQL can say, the differ reads: here, as from a live database. */
START_TEST(test_model_reads_like_a_database)
{
	struct schema		*s;
	const struct table	*t;

	s = parse("-- a comment first\n"
	    "CREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT NOT NULL "
	    "ON CONFLICT REPLACE DEFAULT 'x' COLLATE NOCASE);\n"
	    "CREATE INDEX a_n ON a (n);\n"
	    "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER "
	    "REFERENCES a (id)) STRICT;\n"
	    "CREATE VIEW v AS SELECT n FROM a;\n"
	    "CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT 1; END;\n");
	ck_assert_uint_eq(s->ntables, 2);
	t = schema_table(s, "a");
	ck_assert_int_eq(t->verbatim, 1);
	ck_assert_str_eq(schema_column(t, "n")->collation, "NOCASE");
	ck_assert_str_eq(schema_column(t, "n")->dflt, "'x'");
	ck_assert_uint_eq(t->nindexes, 1);
	ck_assert_uint_eq(t->ntriggers, 1);
	ck_assert_int_eq(schema_table(s, "b")->strict, 1);
	ck_assert_uint_eq(schema_table(s, "b")->nfks, 1);
	ck_assert_uint_eq(s->nviews, 1);
	schema_free(s);
}
END_TEST

START_TEST(test_model_refusals)
{
	CK_REFUSED("", "m.sql: no CREATE statement");
	CK_REFUSED("-- only a comment\n\n", "m.sql: no CREATE statement");
	CK_REFUSED("CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\n",
	    "m.sql:2: only CREATE TABLE, INDEX, VIEW and TRIGGER");
	CK_REFUSED("CREATE TABLE a (x);\n\n  UPDATE a SET x = 1;\n",
	    "m.sql:3: only CREATE");
	CK_REFUSED("PRAGMA foreign_keys = ON;\n", "m.sql:1: only CREATE");
	CK_REFUSED("SELECT 1;\n", "m.sql:1: only CREATE");
	CK_REFUSED("BEGIN; CREATE TABLE a (x); COMMIT;\n", "m.sql:1: only");
	CK_REFUSED("DROP TABLE IF EXISTS a;\n", "m.sql:1: only CREATE");
	CK_REFUSED("\nCREATE VIRTUAL TABLE f USING fts5(x);\n",
	    "m.sql:2: virtual table f is not supported");
	CK_REFUSED("CREATE TEMP TABLE t (x);\n", "m.sql:1: temporary t");
	CK_REFUSED("CREATE TABLE a AS SELECT 1 AS x;\n",
	    "CREATE TABLE a AS SELECT is not supported");
	CK_REFUSED("CREATE TABLE g (a INT,\n b INT AS (a + 1));\n",
	    "m.sql: table g: generated column b is not supported");
	CK_REFUSED("CREATE TABLE a (x);\n-- two\nCREAT TABLE b (y);\n",
	    "m.sql:3: near \"CREAT\": syntax error");
	CK_REFUSED("CREATE TABLE a (\n\tx,\n\ty z w (\n);\n", "m.sql:4: ");
	CK_REFUSED("CREATE TABLE a (x);\nCREATE TABLE a (y);\n",
	    "m.sql:2: table a already exists");
	CK_REFUSED("CREATE INDEX i ON nope (x);\n", "m.sql:1: no such table");
	CK_REFUSED("CREATE TABLE exodb_new_users (x);\n", "exodb's own");
	CK_REFUSED("CREATE TABLE sqlite_x (x);\n", "m.sql:1: ");
}
END_TEST

/*
 * A bare word after DEFAULT (a typo for UNIQUE) is refused when the model
 * loads, naming the column; what SQLite can evaluate alone is accepted.
 */
START_TEST(test_model_defaults)
{
	static const char *const ok[] = { "'x'", "0", "-1.5", "+2", "NULL",
	    "TRUE", "x'00'", "CURRENT_TIMESTAMP", "(1 + 2)",
	    "(strftime('%s', 'now'))" };
	char	 sql[128];
	size_t	 i;

	CK_REFUSED("CREATE TABLE t (id INTEGER PRIMARY KEY,\n"
	    "\tname TEXT NOT NULL DEFAULT NIQUE);\n",
	    "m.sql: table t: column name: DEFAULT NIQUE is a bare word, which "
	    "SQLite would store as text; quote it as a string if text is meant");
	CK_REFUSED("CREATE TABLE t (a INT DEFAULT 1, b INT DEFAULT (nope(1)));\n",
	    "m.sql: table t: column b: DEFAULT nope(1): no such function: nope");
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		snprintf(sql, sizeof sql, "CREATE TABLE t (a DEFAULT %s);",
		    ok[i]);
		ck_assert_msg(refusal(sql) == NULL, "refused: %s", sql);
	}
}
END_TEST

START_TEST(test_model_renames)
{
	struct schema		*s;
	const struct table	*t;
	char			*text;

	s = parse("CREATE TABLE users (\n"
	    "\tid INTEGER PRIMARY KEY,\n"
	    "\temail TEXT NOT NULL,\t-- exodb: renamed from mail\n"
	    "\t\"full name\" TEXT -- exodb: renamed from \"name\"\n"
	    ");\n");
	t = schema_table(s, "users");
	ck_assert_str_eq(schema_column(t, "email")->was, "mail");
	ck_assert_str_eq(schema_column(t, "full name")->was, "name");
	ck_assert_ptr_null(schema_column(t, "id")->was);
	/* 'db model' shows the annotations, so the fingerprint covers them. */
	text = model_render(s);
	ck_assert_str_eq(text, "CREATE TABLE users (\n"
	    "\tid INTEGER PRIMARY KEY,\n"
	    "\temail TEXT NOT NULL, -- exodb: renamed from mail\n"
	    "\t\"full name\" TEXT -- exodb: renamed from name\n"
	    ");\n");
	free(text);
	/* A revision's CREATE TABLE does not. */
	CK_STR(render_schema(s), "CREATE TABLE users (\n"
	    "\tid INTEGER PRIMARY KEY,\n"
	    "\temail TEXT NOT NULL,\n"
	    "\t\"full name\" TEXT\n"
	    ");\n");
	schema_free(s);
}
END_TEST

START_TEST(test_model_rename_refusals)
{
	CK_REFUSED("CREATE TABLE u (\n\ta TEXT,\n\t-- exodb: renamed from b\n"
	    "\tc TEXT\n);\n", "m.sql:3: the annotation is not on the line "
	    "where a column of u starts");
	CK_REFUSED("-- exodb: renamed from b\nCREATE TABLE u (a TEXT);\n",
	    "m.sql:1: the annotation is not inside a CREATE TABLE");
	CK_REFUSED("CREATE TABLE u (a TEXT -- exodb: renamed\n);\n",
	    "m.sql:1: unknown annotation");
	CK_REFUSED("CREATE TABLE u (a TEXT -- exodb: renamed from\n);\n",
	    "m.sql:1: 'renamed from' needs one column name");
	CK_REFUSED("CREATE TABLE u (a TEXT -- exodb: renamed from b c\n);\n",
	    "m.sql:1: 'renamed from' needs one column name");
	CK_REFUSED("CREATE TABLE u (a TEXT -- exodb: dropped b\n);\n",
	    "m.sql:1: unknown annotation 'dropped b'");
	CK_REFUSED("CREATE TABLE u (\n\ta TEXT, -- exodb: renamed from b\n"
	    "\tb TEXT\n);\n", "m.sql:2: u.a is renamed from b, but u has a "
	    "column b");
	CK_REFUSED("CREATE TABLE u (a TEXT, CHECK (a <> '') -- exodb: renamed "
	    "from b\n);\n", "m.sql:1: the annotation is not on the line");
	CK_REFUSED("CREATE INDEX i ON u (a); -- exodb: renamed from b\n",
	    "m.sql:1: ");
}
END_TEST

START_TEST(test_model_check_renames)
{
	struct schema	*m, *live;
	sqlite3		*db;
	char		*cause = NULL;

	m = parse("CREATE TABLE u (id INTEGER PRIMARY KEY,\n"
	    "\temail TEXT -- exodb: renamed from mail\n);\n");
	db = unit_db("CREATE TABLE u (id INTEGER PRIMARY KEY, mail TEXT)");
	ck_assert_int_eq(introspect_schema(db, &live, &cause), 0);
	ck_assert_int_eq(model_check_renames(m, live, &cause), 0);
	schema_free(live);
	sqlite3_close(db);
	/* Already renamed: nothing to say. */
	db = unit_db("CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT)");
	ck_assert_int_eq(introspect_schema(db, &live, &cause), 0);
	ck_assert_int_eq(model_check_renames(m, live, &cause), 0);
	schema_free(live);
	sqlite3_close(db);
	db = unit_db("CREATE TABLE u (id INTEGER PRIMARY KEY, e TEXT)");
	ck_assert_int_eq(introspect_schema(db, &live, &cause), 0);
	ck_assert_int_eq(model_check_renames(m, live, &cause), -1);
	ck_assert_str_eq(cause, "the model renames u.email from mail, but the "
	    "database's u has no column mail");
	free(cause);
	schema_free(live);
	sqlite3_close(db);
	schema_free(m);
}
END_TEST

START_TEST(test_model_load_files)
{
	struct schema	*s = NULL;
	char		*cause = NULL;
	FILE		*f;

	unit_tmpdir();
	ck_assert_int_eq(model_load("missing.sql", &s, &cause), -1);
	ck_assert_str_eq(cause, "missing.sql: No such file or directory");
	free(cause);
	ck_assert_int_eq(mkdir("dir.sql", 0700), 0);
	ck_assert_int_eq(model_load("dir.sql", &s, &cause), -1);
	ck_assert_str_eq(cause, "dir.sql: is a folder, not a model file");
	free(cause);
	unit_write("empty.sql", "");
	ck_assert_int_eq(model_load("empty.sql", &s, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "empty.sql: no CREATE statement"));
	free(cause);
	/* A NUL byte would end the SQL early, hiding what follows it. */
	ck_assert_ptr_nonnull(f = fopen("nul.sql", "w"));
	ck_assert_uint_eq(fwrite("CREATE TABLE t (x);\0CREATE TABLE u (y);\n",
	    1, 41, f), 41);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(model_load("nul.sql", &s, &cause), -1);
	ck_assert_str_eq(cause, "nul.sql: contains a NUL byte");
	free(cause);
	unit_write("ok.sql", "CREATE TABLE t (x);\n");
	ck_assert_int_eq(model_load("ok.sql", &s, &cause), 0);
	ck_assert_ptr_nonnull(schema_table(s, "t"));
	schema_free(s);
	unit_rmdir();
}
END_TEST

/*
 * A UNIQUE or PRIMARY KEY constraint makes SQLite's own index as the table
 * is made: part of the CREATE TABLE, not "something else" it does.
 */
START_TEST(test_model_constraint_indexes)
{
	struct schema		*s;
	const struct table	*t;

	s = parse("CREATE TABLE p (a INTEGER NOT NULL, b TEXT NOT NULL, "
	    "PRIMARY KEY (a, b));\n"
	    "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	    "CREATE TABLE w (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;\n"
	    "CREATE TABLE c (id INTEGER PRIMARY KEY, pa INTEGER, pb TEXT, "
	    "FOREIGN KEY (pa, pb) REFERENCES p (a, b) ON UPDATE CASCADE);\n");
	ck_assert_uint_eq(s->ntables, 4);
	t = schema_table(s, "p");
	ck_assert_uint_eq(t->nindexes, 1);
	ck_assert_int_eq(t->indexes[0].origin, 'p');
	ck_assert_uint_eq(t->indexes[0].ncolumns, 2);
	t = schema_table(s, "u");
	ck_assert_uint_eq(t->nindexes, 1);
	ck_assert_int_eq(t->indexes[0].origin, 'u');
	ck_assert_int_eq(t->indexes[0].unique, 1);
	ck_assert_int_eq(schema_table(s, "w")->without_rowid, 1);
	t = schema_table(s, "c");
	ck_assert_uint_eq(t->nfks, 1);
	ck_assert_uint_eq(t->fks[0].ncolumns, 2);
	ck_assert_str_eq(t->fks[0].on_update, "CASCADE");
	schema_free(s);
	/* An index of its own is still a statement of its own. */
	CK_REFUSED("CREATE TABLE a (x UNIQUE);\nINSERT INTO a VALUES (1);\n",
	    "m.sql:2: only CREATE TABLE, INDEX, VIEW and TRIGGER");
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("model");
	TCase	*tc;

	tc = tcase_create("model_parse");
	tcase_add_test(tc, test_model_builtin);
	tcase_add_test(tc, test_model_reads_like_a_database);
	tcase_add_test(tc, test_model_constraint_indexes);
	tcase_add_test(tc, test_model_refusals);
	tcase_add_test(tc, test_model_defaults);
	tcase_add_test(tc, test_model_renames);
	tcase_add_test(tc, test_model_rename_refusals);
	suite_add_tcase(s, tc);
	tc = tcase_create("model_check_renames");
	tcase_add_test(tc, test_model_check_renames);
	suite_add_tcase(s, tc);
	tc = tcase_create("model_load");
	tcase_add_test(tc, test_model_load_files);
	suite_add_tcase(s, tc);
	return s;
}
