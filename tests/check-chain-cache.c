/* Unit tests of src/chain-cache.c: the replayed chain kept between runs. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

/* A repository in the temporary folder, with its cache beside it. */
static struct repo *
cache_repo(const char *index)
{
	char	*xdg;

	unit_tmpdir();
	xdg = xasprintf("%s/xdg", unit_dir);
	ck_assert_int_eq(setenv("XDG_CACHE_HOME", xdg, 1), 0);
	free(xdg);
	ck_assert_int_eq(mkdir("m", 0700), 0);
	ck_assert_int_eq(mkdir("m/versions", 0700), 0);
	unit_revision("m/versions", "20260101000001", "none", "a",
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);", "DROP TABLE t;");
	unit_revision("m/versions", "20260101000002", "20260101000001", "b",
	    index, "DROP INDEX ix_t_x;");
	return unit_repo_load("m");
}

/* The names in db's schema, the history table aside; the caller frees. */
static char *
cache_names(sqlite3 *db)
{
	return unit_query(db, "SELECT group_concat(name, ' ') FROM (SELECT "
	    "name FROM sqlite_schema WHERE name NOT LIKE 'sqlite%' AND "
	    "name <> 'exodb_revisions' ORDER BY name)");
}

/* What chain_cache_save() keeps, chain_cache_load() gives back, whole. */
START_TEST(test_chain_cache_save_load)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	struct stat	 sb;
	sqlite3		*chain, *again;
	char		*cause = NULL;

	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	ck_assert_ptr_null(again);
	ck_assert_int_eq(chain_replay(repo, &chain, &cause), 0);
	chain_cache_save(repo, chain);
	ck_assert_int_eq(stat("xdg/exodb", &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	ck_assert_int_eq(chain_cache_load(repo, &again), 0);
	CK_STR(cache_names(again), "ix_t_x t");
	/* Writable, as a replayed chain is: autogen replays on it. */
	unit_exec(again, "CREATE TABLE u (id INTEGER)");
	CK_STR(cache_names(again), "ix_t_x t u");
	sqlite3_close(again);
	sqlite3_close(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* Another chain (an edited revision) does not load the first one's image. */
START_TEST(test_chain_cache_stale)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	sqlite3		*chain, *again;
	char		*cause = NULL;

	ck_assert_int_eq(chain_replay(repo, &chain, &cause), 0);
	chain_cache_save(repo, chain);
	sqlite3_close(chain);
	repo_free(repo);
	unit_revision("m/versions", "20260101000003", "20260101000002", "c",
	    "CREATE TABLE w (id INTEGER);", "DROP TABLE w;");
	repo = unit_repo_load("m");
	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	/* chain_load() replays it and keeps the new image. */
	ck_assert_int_eq(chain_load(repo, &chain, &cause), 0);
	CK_STR(cache_names(chain), "ix_t_x t w");
	sqlite3_close(chain);
	ck_assert_int_eq(chain_cache_load(repo, &again), 0);
	CK_STR(cache_names(again), "ix_t_x t w");
	sqlite3_close(again);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* A replay that leaves legacy_alter_table on is not kept. */
START_TEST(test_chain_cache_unfit)
{
	struct repo	*repo = cache_repo("PRAGMA legacy_alter_table = ON;");
	sqlite3		*chain, *again;
	char		*cause = NULL;

	ck_assert_int_eq(chain_replay(repo, &chain, &cause), 0);
	chain_cache_save(repo, chain);
	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	sqlite3_close(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* No cache folder can be made: nothing kept, nothing fails. */
START_TEST(test_chain_cache_nowhere)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	sqlite3		*chain, *again;
	char		*cause = NULL;
	FILE		*f;

	ck_assert_ptr_nonnull(f = fopen("xdg", "w"));
	fclose(f);
	ck_assert_int_eq(chain_load(repo, &chain, &cause), 0);
	CK_STR(cache_names(chain), "ix_t_x t");
	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	sqlite3_close(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("chain-cache");
	TCase	*tc;

	tc = tcase_create("chain_cache_save");
	tcase_add_test(tc, test_chain_cache_save_load);
	tcase_add_test(tc, test_chain_cache_unfit);
	tcase_add_test(tc, test_chain_cache_nowhere);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain_cache_load");
	tcase_add_test(tc, test_chain_cache_stale);
	suite_add_tcase(s, tc);
	return s;
}

