/* Unit tests of src/migrate.c: history, plans, the runner, scripts, stamp. */
#include "unit.h"

/* A repository: a root a, then b and c on a, and a merge m of b and c. */
static void
graph(void)
{
	static const char *revs[][4] = {
		{ "20260101000001", "none", "a", "CREATE TABLE a (x);\n"
		  "-- +downgrade\nDROP TABLE a;\n" },
		{ "20260101000002", "20260101000001", "b",
		  "CREATE TABLE b (x);\n-- +downgrade\nDROP TABLE b;\n" },
		{ "20260101000003", "20260101000001", "c",
		  "CREATE TABLE c (x);\nINSERT INTO c VALUES (1);\n"
		  "-- +downgrade\nDROP TABLE c;\n" },
		{ "20260101000004", "20260101000002 20260101000003", "m",
		  "\n-- +downgrade\n" },
	};
	char	*cause = NULL, *path, *text;
	size_t	 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	for (i = 0; i < 4; i++) {
		path = xasprintf("m/versions/%s_%s.sql", revs[i][0], revs[i][2]);
		text = xasprintf("-- exodb revision\n-- id: %s\n-- revises: "
		    "%s\n-- message: %s\n-- created: c\n\n-- +upgrade\n%s",
		    revs[i][0], revs[i][1], revs[i][2], revs[i][3]);
		unit_write(path, text);
		free(path);
		free(text);
	}
}

static struct repo *
load(void)
{
	struct repo	*repo;
	char		*cause = NULL;

	if (repo_load("m", &repo, &cause) == -1)
		ck_abort_msg("%s", cause);
	return repo;
}

static struct history *
history(sqlite3 *db)
{
	struct history	*h;
	char		*cause = NULL;

	if (migrate_history(db, &h, &cause) == -1)
		ck_abort_msg("%s", cause);
	return h;
}

/* The ids a plan runs, space separated, or the error. */
static char *
plan(sqlite3 *db, const struct repo *repo, const char *target, int up)
{
	struct history		*h = history(db);
	struct migrate_plan	*p;
	sqlite3_str		*s;
	char			*cause = NULL;
	size_t			 i;

	if (migrate_plan(repo, h, target, up, &p, &cause) == -1) {
		migrate_history_free(h);
		return cause;
	}
	s = sqlite3_str_new(NULL);
	for (i = 0; i < p->nrevs; i++)
		sqlite3_str_appendf(s, "%s%s", i > 0 ? " " : "",
		    p->revs[i]->id + 12);
	migrate_plan_free(p);
	migrate_history_free(h);
	return xstr_finish(s);
}

static void
move(sqlite3 *db, const struct repo *repo, const char *target, int up,
    int expect)
{
	struct history		*h = history(db);
	struct migrate_plan	*p;
	char			*cause = NULL;

	if (migrate_plan(repo, h, target, up, &p, &cause) == -1)
		ck_abort_msg("%s", cause);
	if (migrate_apply(db, p, up, NULL, &cause) != expect)
		ck_abort_msg("apply %s: %s", target, cause);
	migrate_plan_free(p);
	migrate_history_free(h);
}

static char *
applied(sqlite3 *db)
{
	return unit_query(db, "SELECT group_concat(substr(id, 13), ' ') FROM "
	    "(SELECT id FROM exodb_revisions ORDER BY id)");
}

START_TEST(test_migrate_history)
{
	sqlite3		*db = unit_db(NULL);
	struct history	*h;
	char		*cause = NULL;

	h = history(db);
	ck_assert_uint_eq(h->nrows, 0);
	migrate_history_free(h);
	unit_exec(db, "CREATE TABLE exodb_revisions (id TEXT PRIMARY KEY, "
	    "checksum TEXT NOT NULL, applied_at TEXT NOT NULL);"
	    "INSERT INTO exodb_revisions VALUES ('2', 'y', '2026-02'), "
	    "('1', 'x', '2026-01')");
	h = history(db);
	ck_assert_uint_eq(h->nrows, 2);
	ck_assert_str_eq(h->rows[0].id, "1");
	ck_assert_str_eq(h->rows[1].checksum, "y");
	ck_assert_ptr_nonnull(migrate_applied(h, "2"));
	ck_assert_ptr_null(migrate_applied(h, "3"));
	migrate_history_free(h);
	/* A row changed by hand to hold NULL is an error, not a crash. */
	unit_exec(db, "INSERT INTO exodb_revisions VALUES (NULL, 'z', 'now')");
	ck_assert_int_eq(migrate_history(db, &h, &cause), -1);
	ck_assert_ptr_null(h);
	ck_assert_str_eq(cause, "exodb_revisions: a row holds NULL; the table "
	    "was changed by hand");
	free(cause);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_migrate_plan)
{
	struct repo	*repo;
	sqlite3		*db = unit_db(NULL);

	graph();
	repo = load();
	CK_STR(plan(db, repo, "head", 1), "01 02 03 04");
	CK_STR(plan(db, repo, "+2", 1), "01 02");
	CK_STR(plan(db, repo, "20260101000003", 1), "01 03");
	CK_STR(plan(db, repo, "2026010100000", 1),
	    "revision prefix '2026010100000' is ambiguous: 20260101000001 "
	    "20260101000002 20260101000003 20260101000004");
	CK_STR(plan(db, repo, "+5", 1),
	    "'+5': only 4 revisions pending; that is past head");
	CK_STR(plan(db, repo, "-1", 0),
	    "'-1': only 0 revisions applied; that is below base");
	CK_STR(plan(db, repo, "-1", 1), "'-1': upgrade goes forward: use +N");
	CK_STR(plan(db, repo, "+1", 0), "'+1': downgrade goes back: use -N");
	CK_STR(plan(db, repo, "+x", 1),
	    "'+x': a relative target is +N or -N with N at least 1");
	CK_STR(plan(db, repo, "base", 0), "");
	CK_STR(plan(db, repo, "20260101000002", 0), "revision 20260101000002 "
	    "is not applied; downgrade goes back to an applied revision");
	move(db, repo, "head", 1, 4);
	CK_STR(plan(db, repo, "head", 1), "");
	/* Through the merge point: the merge first, then each branch. */
	CK_STR(plan(db, repo, "base", 0), "04 03 02 01");
	CK_STR(plan(db, repo, "-2", 0), "04 03");
	CK_STR(plan(db, repo, "20260101000002", 0), "04 03");
	CK_STR(plan(db, repo, "20260101000001", 0), "04 03 02");
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_apply)
{
	struct repo	*repo;
	sqlite3		*db = unit_db(NULL);

	graph();
	repo = load();
	move(db, repo, "+1", 1, 1);
	CK_STR(applied(db), "01");
	move(db, repo, "head", 1, 3);
	CK_STR(applied(db), "01 02 03 04");
	CK_STR(unit_query(db, "SELECT count(*) FROM c"), "1");
	move(db, repo, "-2", 0, 2);
	CK_STR(applied(db), "01 02");
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'c'"), "0");
	move(db, repo, "base", 0, 2);
	CK_STR(applied(db), "");
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* A revision another process applied meanwhile is skipped, not rerun. */
START_TEST(test_migrate_apply_rereads_history)
{
	struct repo		*repo;
	struct history		*h;
	struct migrate_plan	*p;
	sqlite3			*db = unit_db(NULL);
	char			*cause = NULL;

	graph();
	repo = load();
	h = history(db);
	ck_assert_int_eq(migrate_plan(repo, h, "+1", 1, &p, &cause), 0);
	move(db, repo, "+1", 1, 1);
	ck_assert_int_eq(migrate_apply(db, p, 1, NULL, &cause), 0);
	CK_STR(applied(db), "01");
	migrate_plan_free(p);
	migrate_history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_apply_rolls_back)
{
	struct repo		*repo;
	struct history		*h;
	struct migrate_plan	*p;
	sqlite3			*db = unit_db(NULL);
	char			*cause = NULL;

	graph();
	unit_write("m/versions/20260101000005_bad.sql", "-- exodb revision\n"
	    "-- id: 20260101000005\n-- revises: 20260101000004\n-- message: "
	    "bad\n-- created: c\n\n-- +upgrade\nCREATE TABLE d (x);\n"
	    "INSERT INTO d VALUES (1);\nINSERT INTO nowhere VALUES (1);\n"
	    "-- +downgrade\n");
	repo = load();
	move(db, repo, "20260101000004", 1, 4);
	h = history(db);
	ck_assert_int_eq(migrate_plan(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_apply(db, p, 1, NULL, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000005_bad.sql:10: no "
	    "such table: nowhere");
	free(cause);
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'd'"), "0");
	CK_STR(applied(db), "01 02 03 04");
	ck_assert(sqlite3_get_autocommit(db));
	migrate_plan_free(p);
	migrate_history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

struct progress_seen {
	long long	last;
	long long	total;
	int		calls;
	int		finals;
};

static void
progress_count(const char *table, long long done, long long total, int last,
    void *arg)
{
	struct progress_seen	*seen = arg;

	ck_assert_str_eq(table, "big");
	ck_assert_int_ge(done, seen->last);
	seen->last = done;
	seen->total = total;
	seen->calls++;
	seen->finals += last;
}

/*
 * In a fresh repository, one revision whose upgrade is the given SQL, applied
 * with hooks to a database made by setup. Returns what migrate_apply() does;
 * the caller closes *db and calls unit_rmdir().
 */
static int
apply_one(const char *setup, const char *upgrade,
    const struct migrate_hooks *hooks, sqlite3 **db, char **cause)
{
	struct repo		*repo;
	struct history		*h;
	struct migrate_plan	*p;
	char			*text;
	int			 rc;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", cause), 0);
	text = xasprintf("-- exodb revision\n-- id: 20260101000001\n"
	    "-- revises: none\n-- message: r\n-- created: c\n\n-- +upgrade\n"
	    "%s-- +downgrade\n", upgrade);
	unit_write("m/versions/20260101000001_r.sql", text);
	free(text);
	*db = unit_db(setup);
	repo = load();
	h = history(*db);
	ck_assert_int_eq(migrate_plan(repo, h, "head", 1, &p, cause), 0);
	rc = migrate_apply(*db, p, 1, hooks, cause);
	migrate_plan_free(p);
	migrate_history_free(h);
	repo_free(repo);
	return rc;
}

#define BIG_TABLE(cols, values) "CREATE TABLE big " cols "; WITH RECURSIVE " \
	"c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10000) " \
	"INSERT INTO big SELECT " values " FROM c"

/* A rebuild's copy reports rows copied of the total, and a last call. */
START_TEST(test_migrate_apply_progress)
{
	struct migrate_hooks	 hooks;
	struct progress_seen	 seen;
	sqlite3			*db;
	char			*cause = NULL;

	memset(&seen, 0, sizeof seen);
	memset(&hooks, 0, sizeof hooks);
	hooks.progress = progress_count;
	hooks.progress_after_ms = 0;
	hooks.arg = &seen;
	ck_assert_int_eq(apply_one(BIG_TABLE("(v)", "n"),
	    "CREATE TABLE exodb_new_big (v);\n"
	    "INSERT INTO exodb_new_big (v)\n\tSELECT v FROM big;\n"
	    "DROP TABLE big;\nALTER TABLE exodb_new_big RENAME TO big;\n",
	    &hooks, &db, &cause), 1);
	/* Every 4096 rows, then once at the end. */
	ck_assert_int_eq(seen.calls, 3);
	ck_assert_int_eq(seen.finals, 1);
	ck_assert_int_eq(seen.last, 10000);
	ck_assert_int_eq(seen.total, 10000);
	CK_STR(unit_query(db, "SELECT count(*) || ' ' || sum(v) FROM big"),
	    "10000 50005000");
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* Only the copy render.c writes is counted; anything else runs as written. */
START_TEST(test_migrate_apply_progress_only_for_copies)
{
	struct migrate_hooks	 hooks;
	struct progress_seen	 seen;
	sqlite3			*db;
	char			*cause = NULL;

	memset(&seen, 0, sizeof seen);
	memset(&hooks, 0, sizeof hooks);
	hooks.progress = progress_count;
	hooks.arg = &seen;
	ck_assert_int_eq(apply_one(BIG_TABLE("(a, b)", "n, n"),
	    "CREATE TABLE exodb_new_big (a, b);\n"
	    "INSERT INTO exodb_new_big SELECT a, b FROM big WHERE a IS NOT "
	    "DISTINCT FROM b;\n"
	    "INSERT INTO exodb_new_big (a, b) SELECT a, b FROM big ORDER BY a;\n",
	    &hooks, &db, &cause), 1);
	ck_assert_int_eq(seen.calls, 0);
	CK_STR(unit_query(db, "SELECT count(*) FROM exodb_new_big"), "20000");
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* SQLite's message names the rebuild's new table; the runner says the table. */
START_TEST(test_migrate_apply_names_the_table)
{
	sqlite3	*db;
	char	*cause = NULL;

	ck_assert_int_eq(apply_one("CREATE TABLE t (v); INSERT INTO t VALUES "
	    "(NULL)", "CREATE TABLE exodb_new_t (v NOT NULL);\n"
	    "INSERT INTO exodb_new_t (v)\n\tSELECT v FROM t;\n", NULL, &db,
	    &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000001_r.sql:9: NOT NULL "
	    "constraint failed: t.v");
	free(cause);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_verify)
{
	struct repo	*repo;
	struct history	*h;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;

	graph();
	repo = load();
	move(db, repo, "head", 1, 4);
	h = history(db);
	ck_assert_int_eq(migrate_verify(repo, h, &cause), 0);
	ck_assert(migrate_at_head(repo, h));
	migrate_history_free(h);
	unit_exec(db, "UPDATE exodb_revisions SET checksum = '00' WHERE id = "
	    "'20260101000002'");
	h = history(db);
	ck_assert_int_eq(migrate_verify(repo, h, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000002_b.sql: changed "
	    "since it was applied (SHA-256 now fcac136ad3fb, then 00); "
	    "restore it, or accept the edit with 'exodb db repair'");
	free(cause);
	migrate_history_free(h);
	unit_exec(db, "INSERT INTO exodb_revisions VALUES ('20260101000009', "
	    "'x', 'now'); DELETE FROM exodb_revisions WHERE id = "
	    "'20260101000002'");
	h = history(db);
	ck_assert(!migrate_at_head(repo, h));
	ck_assert_int_eq(migrate_verify(repo, h, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "m/versions/20260101000009_*.sql: "
	    "revision 20260101000009 is applied but its file is missing"));
	free(cause);
	migrate_history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_script)
{
	struct repo		*repo;
	struct history		*h;
	struct migrate_plan	*p;
	sqlite3			*db = unit_db(NULL), *other = unit_db(NULL);
	char			*cause = NULL, *script, *script_sums;

	graph();
	repo = load();
	h = history(db);
	ck_assert_int_eq(migrate_plan(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_script(p, 1, &script, &cause), 0);
	ck_assert_ptr_nonnull(strstr(script, ".bail on\n"));
	ck_assert_ptr_nonnull(strstr(script, "\n-- upgrade 20260101000003: c\n"
	    "BEGIN IMMEDIATE;\n"));
	ck_assert_ptr_nonnull(strstr(script, "CREATE TABLE c (x);\n"
	    "INSERT INTO c VALUES (1);\nINSERT INTO temp.exodb_fk_check"));
	ck_assert_ptr_nonnull(strstr(script, "VALUES ('20260101000004', '"));
	/* Without the shell's dot command the script is plain SQL. */
	unit_exec(other, strstr(script, "PRAGMA"));
	move(db, repo, "head", 1, 4);
	CK_STR(applied(other), "01 02 03 04");
	script_sums = unit_query(other, "SELECT group_concat(checksum) FROM "
	    "exodb_revisions");
	CK_STR(unit_query(db, "SELECT group_concat(checksum) FROM "
	    "exodb_revisions"), script_sums);
	free(script_sums);
	free(script);
	migrate_plan_free(p);
	migrate_history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	sqlite3_close(other);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_stamp)
{
	struct repo	*repo;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;
	int		 added, removed;

	graph();
	repo = load();
	ck_assert_int_eq(migrate_stamp(db, repo, "20260101000003", &added,
	    &removed, &cause), 0);
	ck_assert_int_eq(added, 2);
	CK_STR(applied(db), "01 03");
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'c'"), "0");
	ck_assert_int_eq(migrate_stamp(db, repo, "head", &added, &removed,
	    &cause), 0);
	ck_assert_int_eq(added, 2);
	ck_assert_int_eq(removed, 0);
	ck_assert_int_eq(migrate_stamp(db, repo, "20260101000002", &added,
	    &removed, &cause), 0);
	ck_assert_int_eq(removed, 2);
	CK_STR(applied(db), "01 02");
	ck_assert_int_eq(migrate_stamp(db, repo, "base", &added, &removed,
	    &cause), 0);
	CK_STR(applied(db), "");
	ck_assert_int_eq(migrate_stamp(db, repo, "7", &added, &removed,
	    &cause), -1);
	ck_assert_str_eq(cause, "unknown revision '7'");
	free(cause);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

static void
count_repairs(const char *id, const char *path, const char *old, void *arg)
{
	(void)id;
	(void)path;
	(void)old;
	(*(int *)arg)++;
}

START_TEST(test_migrate_repair)
{
	struct repo	*repo;
	struct history	*h;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;
	int		 n = 0;

	graph();
	repo = load();
	move(db, repo, "head", 1, 4);
	unit_exec(db, "UPDATE exodb_revisions SET checksum = 'old' WHERE "
	    "id = '20260101000002'; INSERT INTO exodb_revisions VALUES "
	    "('20260101000009', 'x', 'now')");
	h = history(db);
	ck_assert_int_eq(migrate_repair(db, repo, h, 0, count_repairs, &n,
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "--forget-missing"));
	free(cause);
	CK_STR(unit_query(db, "SELECT checksum FROM exodb_revisions WHERE "
	    "id = '20260101000002'"), "old");
	ck_assert_int_eq(migrate_repair(db, repo, h, 1, count_repairs, &n,
	    &cause), 0);
	ck_assert_int_eq(n, 2);
	migrate_history_free(h);
	h = history(db);
	ck_assert_int_eq(migrate_verify(repo, h, &cause), 0);
	CK_STR(applied(db), "01 02 03 04");
	migrate_history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_backup)
{
	sqlite3	*db, *copy;
	char	*cause = NULL, *a, *b;

	unit_tmpdir();
	ck_assert_int_eq(sqlite3_open("x.db", &db), SQLITE_OK);
	unit_exec(db, "CREATE TABLE t (v); INSERT INTO t VALUES (42)");
	ck_assert_int_eq(migrate_backup(db, "x.db", &a, &cause), 0);
	ck_assert_int_eq(migrate_backup(db, "x.db", &b, &cause), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(strncmp(a, "x.db.", 5), 0);
	ck_assert_int_eq(sqlite3_open(b, &copy), SQLITE_OK);
	CK_STR(unit_query(copy, "SELECT v FROM t"), "42");
	sqlite3_close(copy);
	free(a);
	free(b);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("migrate");
	TCase	*tc;

	tc = tcase_create("migrate_history");
	tcase_add_test(tc, test_migrate_history);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_plan");
	tcase_add_test(tc, test_migrate_plan);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_apply");
	tcase_add_test(tc, test_migrate_apply);
	tcase_add_test(tc, test_migrate_apply_rereads_history);
	tcase_add_test(tc, test_migrate_apply_rolls_back);
	tcase_add_test(tc, test_migrate_apply_progress);
	tcase_add_test(tc, test_migrate_apply_progress_only_for_copies);
	tcase_add_test(tc, test_migrate_apply_names_the_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_verify");
	tcase_add_test(tc, test_migrate_verify);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_script");
	tcase_add_test(tc, test_migrate_script);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_stamp");
	tcase_add_test(tc, test_migrate_stamp);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_repair");
	tcase_add_test(tc, test_migrate_repair);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_backup");
	tcase_add_test(tc, test_migrate_backup);
	suite_add_tcase(s, tc);
	return s;
}
