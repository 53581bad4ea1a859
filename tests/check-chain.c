/* Unit tests of src/chain.c: the chain replayed, and drift from it. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

/* A repository in the temporary folder: a table, then an index on it. */
static struct repo *
chain_repo(void)
{
	unit_tmpdir();
	ck_assert_int_eq(mkdir("m", 0700), 0);
	ck_assert_int_eq(mkdir("m/versions", 0700), 0);
	unit_revision("m/versions", "20260101000001", "none", "a",
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);", "DROP TABLE t;");
	unit_revision("m/versions", "20260101000002", "20260101000001", "b",
	    "CREATE INDEX ix_t_x ON t (x);\nCREATE VIEW v AS SELECT x FROM t;",
	    "DROP VIEW v;\nDROP INDEX ix_t_x;");
	return unit_repo_load("m");
}

START_TEST(test_chain_replay)
{
	struct repo	*repo = chain_repo();
	sqlite3		*chain;
	char		*cause = NULL;

	ck_assert_int_eq(chain_replay(repo, &chain, &cause), 0);
	CK_STR(unit_query(chain, "SELECT group_concat(name, ' ') FROM (SELECT "
	    "name FROM sqlite_schema WHERE name NOT LIKE 'sqlite%' AND "
	    "name <> 'exodb_revisions' ORDER BY name)"), "ix_t_x t v");
	sqlite3_close(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* A revision that fails on an empty database names its file and line. */
START_TEST(test_chain_replay_fails)
{
	struct repo	*repo;
	sqlite3		*chain;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(mkdir("m", 0700), 0);
	ck_assert_int_eq(mkdir("m/versions", 0700), 0);
	unit_revision("m/versions", "20260101000001", "none", "a",
	    "CREATE TABLE t (x);\nDROP TABLE nowhere;", "DROP TABLE t;");
	repo = unit_repo_load("m");
	ck_assert_int_eq(chain_replay(repo, &chain, &cause), -1);
	ck_assert_ptr_null(chain);
	ck_assert_msg(strcmp(cause, "the migration chain does not replay on an "
	    "empty database: m/versions/20260101000001_a.sql:9: no such "
	    "table: nowhere") == 0, "%s", cause);
	free(cause);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_chain_schema)
{
	sqlite3		*db = unit_db("CREATE TABLE alembic_version (v TEXT); "
	    "CREATE TABLE a (x); CREATE TABLE exodb_revisions (id TEXT)");
	struct schema	*s;
	char		*cause = NULL;

	ck_assert_int_eq(chain_schema(db, &s, &cause), 0);
	ck_assert_uint_eq(s->ntables, 1);
	ck_assert_str_eq(s->tables[0].name, "a");
	schema_free(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_chain_drift)
{
	struct repo		*repo = chain_repo();
	struct chain_drift	*d;
	sqlite3			*chain, *live;
	char			*cause = NULL;

	ck_assert_int_eq(chain_replay(repo, &chain, &cause), 0);
	/* The same schema, written otherwise, with Flask-Migrate's table. */
	live = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT); "
	    "CREATE INDEX ix_t_x ON t (x); CREATE VIEW v AS SELECT x FROM t; "
	    "CREATE TABLE alembic_version (v); CREATE TABLE exodb_revisions "
	    "(id)");
	ck_assert_int_eq(chain_drift(chain, live, &d, &cause), 0);
	ck_assert_uint_eq(d->nitems, 0);
	chain_drift_free(d);
	unit_exec(live, "DROP INDEX ix_t_x; CREATE INDEX ix_other ON t (id); "
	    "ALTER TABLE t ADD COLUMN y; CREATE TABLE extra (z); "
	    "DROP VIEW v; CREATE VIEW v AS SELECT id FROM t; "
	    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END");
	ck_assert_int_eq(chain_drift(chain, live, &d, &cause), 0);
	ck_assert_uint_eq(d->nitems, 6);
	ck_assert_str_eq(d->items[0], "index ix_t_x on t: in the chain, not in "
	    "the database");
	ck_assert_str_eq(d->items[1], "column t.y: in the database, not in the "
	    "chain");
	ck_assert_str_eq(d->items[2], "index ix_other on t: in the database, "
	    "not in the chain");
	ck_assert_str_eq(d->items[3], "table extra: in the database, not in "
	    "the chain");
	ck_assert_str_eq(d->items[4], "view v differs from the chain's");
	ck_assert_str_eq(d->items[5], "trigger tr: in the database, not in "
	    "the chain");
	chain_drift_free(d);
	unit_exec(live, "DROP TABLE t");
	ck_assert_int_eq(chain_drift(chain, live, &d, &cause), 0);
	ck_assert_str_eq(d->items[1], "table t: in the chain, not in the "
	    "database");
	chain_drift_free(d);
	sqlite3_close(live);
	sqlite3_close(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* The digest of a database's sqlite_schema, into a hex string to compare. */
static char *
chain_hex(sqlite3 *db)
{
	unsigned char	 text[CHAIN_DIGEST_SIZE];
	char		*cause = NULL, *hex;
	size_t		 i;

	ck_assert_int_eq(chain_text(db, text, &cause), 0);
	hex = xmalloc(2 * sizeof text + 1);
	for (i = 0; i < sizeof text; i++)
		snprintf(hex + 2 * i, 3, "%02x", text[i]);
	return hex;
}

/* The same rows in another order digest alike; any other text does not. */
START_TEST(test_chain_text)
{
	sqlite3	*a = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT "
	    "UNIQUE); CREATE TABLE u (y);");
	sqlite3	*b = unit_db("CREATE TABLE u (y); CREATE TABLE t (id INTEGER "
	    "PRIMARY KEY, x TEXT UNIQUE);");
	sqlite3	*c = unit_db("CREATE TABLE u (y); CREATE TABLE t (id INTEGER "
	    "PRIMARY KEY, x  TEXT UNIQUE);");
	sqlite3	*d = unit_db("CREATE TABLE u (y);");
	char	*ha = chain_hex(a), *hb = chain_hex(b), *hc = chain_hex(c);
	char	*hd = chain_hex(d);

	ck_assert_str_eq(ha, hb);
	ck_assert_str_ne(ha, hc);
	ck_assert_str_ne(ha, hd);
	free(ha);
	free(hb);
	free(hc);
	free(hd);
	sqlite3_close(a);
	sqlite3_close(b);
	sqlite3_close(c);
	sqlite3_close(d);
}
END_TEST

/* Repo's chain from a cache made in the temporary folder: no database yet. */
static struct chain *
cached_chain(const struct repo *repo)
{
	struct chain	*chain;
	char		*cause = NULL, *xdg;

	xdg = xasprintf("%s/xdg", unit_dir);
	ck_assert_int_eq(setenv("XDG_CACHE_HOME", xdg, 1), 0);
	free(xdg);
	ck_assert_int_eq(chain_new(repo, &chain, &cause), 0);
	ck_assert_ptr_nonnull(chain->db);
	chain_free(chain);
	ck_assert_int_eq(chain_new(repo, &chain, &cause), 0);
	ck_assert_ptr_null(chain->db);
	ck_assert_ptr_nonnull(chain->schema);
	return chain;
}

/* No drift of live from chain, found with (opened) or without its database. */
static void
expect_no_drift(struct chain *chain, sqlite3 *live, int opened)
{
	struct chain_drift	*d;
	char			*cause = NULL;

	ck_assert_int_eq(chain_drift_of(chain, NULL, live, &d, &cause), 0);
	ck_assert_uint_eq(d->nitems, 0);
	ck_assert_int_eq(chain->db != NULL, opened);
	chain_drift_free(d);
}

/*
 * A database the chain built is found without drift from the cached chain's
 * digest alone: the chain's database is never opened. Anything else is
 * compared object by object, as chain_drift() does.
 */
START_TEST(test_chain_drift_of)
{
	struct repo		*repo = chain_repo();
	struct chain		*chain = cached_chain(repo);
	struct chain_drift	*d;
	sqlite3			*live;
	char			*cause = NULL;

	ck_assert_int_eq(chain_replay(repo, &live, &cause), 0);
	expect_no_drift(chain, live, 0);
	/* The same schema, written otherwise: compared, no drift. */
	sqlite3_close(live);
	live = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT); "
	    "CREATE INDEX ix_t_x ON t (x); CREATE VIEW v AS SELECT x FROM t");
	expect_no_drift(chain, live, 1);
	unit_exec(live, "CREATE TABLE extra (z)");
	ck_assert_int_eq(chain_drift_of(chain, NULL, live, &d, &cause), 0);
	ck_assert_uint_eq(d->nitems, 1);
	ck_assert_str_eq(d->items[0], "table extra: in the database, not in "
	    "the chain");
	chain_drift_free(d);
	sqlite3_close(live);
	chain_free(chain);
	unsetenv("XDG_CACHE_HOME");
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/*
 * A database file of an older schema format (which reads some CREATE texts
 * otherwise: DESC below 4) is compared object by object, not taken on its
 * text.
 */
START_TEST(test_chain_drift_of_format)
{
	struct repo		*repo = chain_repo();
	struct chain		*chain = cached_chain(repo);
	sqlite3			*db;
	char			*cause = NULL;
	FILE			*f;

	ck_assert_int_eq(chain_replay(repo, &db, &cause), 0);
	unit_exec(db, "VACUUM INTO 'live.db'");
	sqlite3_close(db);
	ck_assert_int_eq(sqlite3_open("live.db", &db), SQLITE_OK);
	expect_no_drift(chain, db, 0);
	sqlite3_close(db);
	/* Schema format 1, the same rows. */
	ck_assert_ptr_nonnull(f = fopen("live.db", "r+b"));
	ck_assert_int_eq(fseek(f, 47, SEEK_SET), 0);
	ck_assert_int_eq(fputc(1, f), 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sqlite3_open("live.db", &db), SQLITE_OK);
	expect_no_drift(chain, db, 1);
	sqlite3_close(db);
	chain_free(chain);
	unsetenv("XDG_CACHE_HOME");
	repo_free(repo);
	unit_rmdir();
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("chain");
	TCase	*tc;

	tc = tcase_create("chain_replay");
	tcase_add_test(tc, test_chain_replay);
	tcase_add_test(tc, test_chain_replay_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain_schema");
	tcase_add_test(tc, test_chain_schema);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain_drift");
	tcase_add_test(tc, test_chain_drift);
	tcase_add_test(tc, test_chain_drift_of);
	tcase_add_test(tc, test_chain_drift_of_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain_text");
	tcase_add_test(tc, test_chain_text);
	suite_add_tcase(s, tc);
	return s;
}
