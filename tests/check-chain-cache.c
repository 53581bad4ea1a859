/* Unit tests of src/chain-cache.c: the replayed chain kept between runs. */
#include <sys/stat.h>

#include <dirent.h>
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

/* The one cache file there is; the caller frees it. */
static char *
cache_path(void)
{
	struct dirent	*e;
	char		*path = NULL;
	DIR		*d;

	ck_assert_ptr_nonnull(d = opendir("xdg/exodb"));
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "chain-", 6) != 0)
			continue;
		ck_assert_ptr_null(path);
		path = xasprintf("xdg/exodb/%s", e->d_name);
	}
	closedir(d);
	ck_assert_ptr_nonnull(path);
	return path;
}

/* A chain as chain_new() makes it on a miss: replayed, read, digested. */
static struct chain *
cache_replay(struct repo *repo)
{
	struct chain	*c;
	char		*cause = NULL;

	c = xcalloc(1, sizeof *c);
	c->repo = repo;
	ck_assert_int_eq(chain_replay(repo, &c->db, &cause), 0);
	ck_assert_int_eq(introspect_schema(c->db, &c->schema, &cause), 0);
	ck_assert_int_eq(chain_text(c->db, c->text, &cause), 0);
	return c;
}

/* The names of the tables of s, in order. */
static char *
cache_tables(const struct schema *s)
{
	sqlite3_str	*out = sqlite3_str_new(NULL);
	size_t		 i;

	for (i = 0; i < s->ntables; i++)
		sqlite3_str_appendf(out, "%s%s", i > 0 ? " " : "",
		    s->tables[i].name);
	return xstr_finish(out);
}

/*
 * What chain_cache_save() keeps, chain_cache_load() gives back: the schema
 * and the text digest at once, the image whole when asked for.
 */
START_TEST(test_chain_cache_save_load)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	struct stat	 sb;
	struct chain	*chain, again;

	memset(&again, 0, sizeof again);
	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	ck_assert_ptr_null(again.schema);
	ck_assert_ptr_null(again.cache);
	chain = cache_replay(repo);
	chain_cache_save(repo, chain);
	ck_assert_int_eq(stat("xdg/exodb", &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	ck_assert_int_eq(chain_cache_load(repo, &again), 0);
	ck_assert_ptr_null(again.db);
	ck_assert_ptr_nonnull(again.cache);
	ck_assert_mem_eq(again.text, chain->text, CHAIN_DIGEST_SIZE);
	CK_STR(cache_tables(again.schema), "t");
	ck_assert_int_eq(again.schema->tables[0].nindexes, 1);
	CK_STR(xstrdup(again.schema->tables[0].indexes[0].name), "ix_t_x");
	ck_assert_int_eq(chain_cache_image(&again), 0);
	ck_assert_ptr_null(again.cache);
	CK_STR(cache_names(again.db), "ix_t_x t");
	/* Writable, as a replayed chain is: autogen replays on it. */
	unit_exec(again.db, "CREATE TABLE u (id INTEGER)");
	CK_STR(cache_names(again.db), "ix_t_x t u");
	sqlite3_close(again.db);
	schema_free(again.schema);
	chain_free(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/*
 * An image damaged after its meta part was read: chain_cache_image() refuses
 * it, and chain_db() replays instead and mends the file.
 */
START_TEST(test_chain_cache_image_damaged)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	struct chain	*chain, again;
	struct stat	 sb;
	char		*cause = NULL, *path;
	FILE		*f;

	memset(&again, 0, sizeof again);
	ck_assert_int_eq(chain_new(repo, &chain, &cause), 0);
	chain_free(chain);
	path = cache_path();
	ck_assert_int_eq(chain_new(repo, &chain, &cause), 0);
	ck_assert_ptr_null(chain->db);
	ck_assert_ptr_nonnull(f = fopen(path, "r+"));
	ck_assert_int_eq(fstat(fileno(f), &sb), 0);
	ck_assert_int_eq(fseek(f, sb.st_size - 10, SEEK_SET), 0);
	ck_assert_int_eq(fputc(0x55, f), 0x55);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(chain_db(chain, &cause));
	CK_STR(cache_names(chain->db), "ix_t_x t");
	chain_free(chain);
	ck_assert_int_eq(chain_cache_load(repo, &again), 0);
	ck_assert_int_eq(chain_cache_image(&again), 0);
	CK_STR(cache_names(again.db), "ix_t_x t");
	sqlite3_close(again.db);
	schema_free(again.schema);
	free(path);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* Another chain (an edited revision) does not load the first one's cache. */
START_TEST(test_chain_cache_stale)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	struct chain	*chain, again;
	sqlite3		*db;
	char		*cause = NULL;

	memset(&again, 0, sizeof again);
	chain = cache_replay(repo);
	chain_cache_save(repo, chain);
	chain_free(chain);
	repo_free(repo);
	unit_revision("m/versions", "20260101000003", "20260101000002", "c",
	    "CREATE TABLE w (id INTEGER);", "DROP TABLE w;");
	repo = unit_repo_load("m");
	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	/* chain_load() replays it and keeps the new one. */
	ck_assert_int_eq(chain_load(repo, &db, &cause), 0);
	CK_STR(cache_names(db), "ix_t_x t w");
	sqlite3_close(db);
	ck_assert_int_eq(chain_cache_load(repo, &again), 0);
	CK_STR(cache_tables(again.schema), "t w");
	ck_assert_int_eq(chain_cache_image(&again), 0);
	CK_STR(cache_names(again.db), "ix_t_x t w");
	sqlite3_close(again.db);
	schema_free(again.schema);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* A replay that leaves legacy_alter_table on is not kept. */
START_TEST(test_chain_cache_unfit)
{
	struct repo	*repo = cache_repo("PRAGMA legacy_alter_table = ON;");
	struct chain	*chain, again;

	memset(&again, 0, sizeof again);
	chain = cache_replay(repo);
	chain_cache_save(repo, chain);
	ck_assert_int_eq(chain_cache_load(repo, &again), -1);
	chain_free(chain);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* No cache folder can be made: nothing kept, nothing fails. */
START_TEST(test_chain_cache_nowhere)
{
	struct repo	*repo = cache_repo("CREATE INDEX ix_t_x ON t (x);");
	struct chain	 again;
	sqlite3		*chain;
	char		*cause = NULL;
	FILE		*f;

	memset(&again, 0, sizeof again);
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
	tc = tcase_create("chain_cache_image");
	tcase_add_test(tc, test_chain_cache_image_damaged);
	suite_add_tcase(s, tc);
	return s;
}
