/* Unit tests of src/history.c: the history table, verify, stamp, repair. */
#include "unit.h"

/* A repository: a root a, then b and c on a, and a merge m of b and c. */
static struct repo *
graph(void)
{
	static const char *revs[][3] = {
		{ "20260101000001", "none", "a" },
		{ "20260101000002", "20260101000001", "b" },
		{ "20260101000003", "20260101000001", "c" },
		{ "20260101000004", "20260101000002 20260101000003", "m" },
	};
	struct repo	*repo;
	char		*cause = NULL, *up;
	size_t		 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	for (i = 0; i < 4; i++) {
		up = xasprintf("CREATE TABLE %s (x);\n", revs[i][2]);
		unit_revision("m/versions", revs[i][0], revs[i][1], revs[i][2],
		    up, NULL);
		free(up);
	}
	if (repo_load("m", &repo, &cause) == -1)
		ck_abort_msg("%s", cause);
	return repo;
}

static char *
applied(sqlite3 *db)
{
	return unit_query(db, "SELECT group_concat(substr(id, 13), ' ') FROM "
	    "(SELECT id FROM exodb_revisions ORDER BY id)");
}

static void
stamp(sqlite3 *db, const struct repo *repo, const char *target)
{
	char	*cause = NULL;
	int	 added, removed;

	if (history_stamp(db, repo, target, &added, &removed, &cause) == -1)
		ck_abort_msg("%s", cause);
}

START_TEST(test_history_read)
{
	sqlite3		*db = unit_db(NULL);
	struct history	*h;
	char		*cause = NULL;

	h = unit_history(db);
	ck_assert_uint_eq(h->nrows, 0);
	history_free(h);
	unit_exec(db, "CREATE TABLE exodb_revisions (id TEXT PRIMARY KEY, "
	    "checksum TEXT NOT NULL, applied_at TEXT NOT NULL);"
	    "INSERT INTO exodb_revisions VALUES ('2', 'y', '2026-02'), "
	    "('1', 'x', '2026-01'), ('3', 'z', '2026-00')");
	h = unit_history(db);
	ck_assert_uint_eq(h->nrows, 3);
	/* Oldest first, and found by id whatever the order. */
	ck_assert_str_eq(h->rows[0].id, "3");
	ck_assert_str_eq(h->rows[2].checksum, "y");
	ck_assert_str_eq(history_row(h, "1")->checksum, "x");
	ck_assert_str_eq(history_row(h, "3")->checksum, "z");
	ck_assert_ptr_null(history_row(h, "4"));
	ck_assert_ptr_null(history_row(h, ""));
	history_free(h);
	/* Applied at the same time: by id. */
	unit_exec(db, "INSERT INTO exodb_revisions VALUES ('5', 'v', '2026-03'), "
	    "('4', 'w', '2026-03')");
	h = unit_history(db);
	ck_assert_uint_eq(h->nrows, 5);
	ck_assert_str_eq(h->rows[3].id, "4");
	ck_assert_str_eq(h->rows[4].id, "5");
	ck_assert_str_eq(history_row(h, "5")->checksum, "v");
	ck_assert_str_eq(history_row(h, "2")->applied_at, "2026-02");
	history_free(h);
	/* A row changed by hand to hold NULL is an error, not a crash. */
	unit_exec(db, "INSERT INTO exodb_revisions VALUES (NULL, 'z', 'now')");
	ck_assert_int_eq(history_read(db, &h, &cause), -1);
	ck_assert_ptr_null(h);
	ck_assert_str_eq(cause, "exodb_revisions: a row holds NULL; the table "
	    "was changed by hand");
	free(cause);
	sqlite3_close(db);
}
END_TEST

/* Which revisions the database is at, as repo_is_current() tells. */
static int *
current_of(const struct repo *repo, const struct history *h)
{
	int	*applied, *current;
	size_t	 i;

	applied = repo_applied(repo, h);
	current = xcalloc(repo->nrevs, sizeof *current);
	for (i = 0; i < repo->nrevs; i++)
		current[i] = repo_is_current(repo->revs[i], applied);
	free(applied);
	return current;
}

START_TEST(test_history_at_head)
{
	struct repo	*repo = graph();
	sqlite3		*db = unit_db(NULL);
	struct history	*h;
	int		*current, *flags;

	stamp(db, repo, "20260101000002");
	h = unit_history(db);
	flags = repo_applied(repo, h);
	ck_assert(flags[0] && flags[1] && !flags[2] && !flags[3]);
	current = current_of(repo, h);
	ck_assert(!current[0] && current[1] && !current[2] && !current[3]);
	ck_assert(!history_at_head(repo, h));
	free(flags);
	free(current);
	history_free(h);
	/* Two branches applied: the database is at both. */
	unit_exec(db, "INSERT INTO exodb_revisions VALUES ('20260101000003', "
	    "'x', 'now')");
	h = unit_history(db);
	current = current_of(repo, h);
	ck_assert(!current[0] && current[1] && current[2] && !current[3]);
	free(current);
	history_free(h);
	stamp(db, repo, "head");
	h = unit_history(db);
	current = current_of(repo, h);
	ck_assert(!current[0] && !current[1] && !current[2] && current[3]);
	ck_assert(history_at_head(repo, h));
	free(current);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_history_verify)
{
	struct repo	*repo = graph();
	struct history	*h;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;

	stamp(db, repo, "head");
	h = unit_history(db);
	ck_assert_int_eq(history_verify(repo, h, &cause), 0);
	history_free(h);
	unit_exec(db, "UPDATE exodb_revisions SET checksum = '00' WHERE id = "
	    "'20260101000002'");
	h = unit_history(db);
	ck_assert_int_eq(history_verify(repo, h, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000002_b.sql: changed "
	    "since it was applied (SHA-256 now db927b561a77, then 00); "
	    "restore it, or accept the edit with 'exodb db repair'");
	free(cause);
	history_free(h);
	unit_exec(db, "INSERT INTO exodb_revisions VALUES ('20260101000009', "
	    "'x', '0000'); DELETE FROM exodb_revisions WHERE id = "
	    "'20260101000002'");
	h = unit_history(db);
	ck_assert(!history_at_head(repo, h));
	ck_assert_int_eq(history_verify(repo, h, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000009_*.sql: revision "
	    "20260101000009 is applied but its file is missing; restore it, or "
	    "forget it with 'exodb db repair'");
	free(cause);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_history_stamp)
{
	struct repo	*repo = graph();
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;
	int		 added, removed;

	ck_assert_int_eq(history_stamp(db, repo, "20260101000003", &added,
	    &removed, &cause), 0);
	ck_assert_int_eq(added, 2);
	CK_STR(applied(db), "01 03");
	/* Nothing is run. */
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'c'"), "0");
	ck_assert_int_eq(history_stamp(db, repo, "head", &added, &removed,
	    &cause), 0);
	ck_assert_int_eq(added, 2);
	ck_assert_int_eq(removed, 0);
	ck_assert_int_eq(history_stamp(db, repo, "20260101000002", &added,
	    &removed, &cause), 0);
	ck_assert_int_eq(removed, 2);
	CK_STR(applied(db), "01 02");
	ck_assert_int_eq(history_stamp(db, repo, "base", &added, &removed,
	    &cause), 0);
	CK_STR(applied(db), "");
	ck_assert_int_eq(history_stamp(db, repo, "7", &added, &removed,
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

START_TEST(test_history_repair)
{
	struct repo	*repo = graph();
	struct history	*h;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;
	int		 n = 0;

	stamp(db, repo, "head");
	unit_exec(db, "UPDATE exodb_revisions SET checksum = 'old' WHERE "
	    "id = '20260101000002'; INSERT INTO exodb_revisions VALUES "
	    "('20260101000009', 'x', 'now')");
	h = unit_history(db);
	ck_assert_int_eq(history_repair(db, repo, h, 0, count_repairs, &n,
	    &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000009_*.sql: revision "
	    "20260101000009 is applied but its file is missing; restore it, or "
	    "forget it with --forget-missing");
	free(cause);
	CK_STR(unit_query(db, "SELECT checksum FROM exodb_revisions WHERE "
	    "id = '20260101000002'"), "old");
	ck_assert_int_eq(history_repair(db, repo, h, 1, count_repairs, &n,
	    &cause), 0);
	ck_assert_int_eq(n, 2);
	history_free(h);
	h = unit_history(db);
	ck_assert_int_eq(history_verify(repo, h, &cause), 0);
	CK_STR(applied(db), "01 02 03 04");
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_history_alembic)
{
	sqlite3	*db = unit_db(NULL);
	char	*versions, *cause = NULL;

	ck_assert_int_eq(history_alembic(db, &versions, &cause), 0);
	ck_assert_ptr_null(versions);
	/* Flask-Migrate's table, as Alembic creates it. */
	unit_exec(db, "CREATE TABLE alembic_version (version_num VARCHAR(32) "
	    "NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY "
	    "(version_num))");
	ck_assert_int_eq(history_alembic(db, &versions, &cause), 0);
	ck_assert_ptr_null(versions);
	unit_exec(db, "INSERT INTO alembic_version VALUES ('89012febb40b')");
	ck_assert_int_eq(history_alembic(db, &versions, &cause), 0);
	ck_assert_str_eq(versions, "89012febb40b");
	free(versions);
	/* Two heads of a branched Alembic graph; a byte that is no text. */
	unit_exec(db, "INSERT INTO alembic_version VALUES ('1a2b' || "
	    "char(27) || '[2J')");
	ck_assert_int_eq(history_alembic(db, &versions, &cause), 0);
	ck_assert_str_eq(versions, "1a2b?[2J 89012febb40b");
	free(versions);
	/* Not Alembic's table after all: an error, not a guess. */
	unit_exec(db, "DROP TABLE alembic_version; CREATE TABLE "
	    "alembic_version (v)");
	ck_assert_int_eq(history_alembic(db, &versions, &cause), -1);
	ck_assert_str_eq(cause, "no such column: version_num");
	free(cause);
	ck_assert_ptr_null(versions);
	sqlite3_close(db);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("history");
	TCase	*tc;

	tc = tcase_create("history_read");
	tcase_add_test(tc, test_history_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("history_at_head");
	tcase_add_test(tc, test_history_at_head);
	suite_add_tcase(s, tc);
	tc = tcase_create("history_verify");
	tcase_add_test(tc, test_history_verify);
	suite_add_tcase(s, tc);
	tc = tcase_create("history_stamp");
	tcase_add_test(tc, test_history_stamp);
	suite_add_tcase(s, tc);
	tc = tcase_create("history_repair");
	tcase_add_test(tc, test_history_repair);
	suite_add_tcase(s, tc);
	tc = tcase_create("history_alembic");
	tcase_add_test(tc, test_history_alembic);
	suite_add_tcase(s, tc);
	return s;
}
