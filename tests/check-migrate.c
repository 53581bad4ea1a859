/* Unit tests of src/migrate.c: the runner, its guard and check, scripts. */
#include <sys/stat.h>

#include "unit.h"

/* A repository: a root a, then b and c on a, and a merge m of b and c. */
static void
graph(void)
{
	static const char *revs[][5] = {
		{ "20260101000001", "none", "a", "CREATE TABLE a (x);\n",
		  "DROP TABLE a;\n" },
		{ "20260101000002", "20260101000001", "b",
		  "CREATE TABLE b (x);\n", "DROP TABLE b;\n" },
		{ "20260101000003", "20260101000001", "c",
		  "CREATE TABLE c (x);\nINSERT INTO c VALUES (1);\n",
		  "DROP TABLE c;\n" },
		{ "20260101000004", "20260101000002 20260101000003", "m",
		  NULL, NULL },
	};
	char	*cause = NULL;
	size_t	 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	for (i = 0; i < 4; i++)
		unit_revision("m/versions", revs[i][0], revs[i][1], revs[i][2],
		    revs[i][3], revs[i][4]);
}

/* A fifth revision "bad" on the merge m, which the tests make fail. */
static void
write_bad(const char *up, const char *down)
{
	unit_revision("m/versions", "20260101000005", "20260101000004", "bad",
	    up, down);
}

static void
move(sqlite3 *db, const struct repo *repo, const char *target, int up,
    int expect)
{
	struct history		*h = unit_history(db);
	struct plan	*p;
	char			*cause = NULL;

	if (plan_new(repo, h, target, up, &p, &cause) == -1)
		ck_abort_msg("%s", cause);
	if (migrate_apply(db, p, 0, NULL, &cause) != expect)
		ck_abort_msg("apply %s: %s", target, cause);
	plan_free(p);
	history_free(h);
}

static char *
applied(sqlite3 *db)
{
	return unit_query(db, "SELECT group_concat(substr(id, 13), ' ') FROM "
	    "(SELECT id FROM exodb_revisions ORDER BY id)");
}

START_TEST(test_migrate_apply)
{
	struct repo	*repo;
	sqlite3		*db = unit_db(NULL);

	graph();
	repo = unit_repo_load("m");
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
	struct plan	*p;
	sqlite3			*db = unit_db(NULL);
	char			*cause = NULL;

	graph();
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "+1", 1, &p, &cause), 0);
	move(db, repo, "+1", 1, 1);
	ck_assert_int_eq(migrate_apply(db, p, 0, NULL, &cause), 0);
	CK_STR(applied(db), "01");
	plan_free(p);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_migrate_apply_rolls_back)
{
	struct repo		*repo;
	struct history		*h;
	struct plan	*p;
	sqlite3			*db = unit_db(NULL);
	char			*cause = NULL;

	graph();
	write_bad("CREATE TABLE d (x);\nINSERT INTO d VALUES (1);\n"
	    "INSERT INTO nowhere VALUES (1);\n", NULL);
	repo = unit_repo_load("m");
	move(db, repo, "20260101000004", 1, 4);
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_apply(db, p, 0, NULL, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000005_bad.sql:10: no "
	    "such table: nowhere");
	free(cause);
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'd'"), "0");
	CK_STR(applied(db), "01 02 03 04");
	ck_assert(sqlite3_get_autocommit(db));
	plan_free(p);
	history_free(h);
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
	struct plan	*p;
	int			 rc;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", cause), 0);
	unit_revision("m/versions", "20260101000001", "none", "r", upgrade,
	    NULL);
	*db = unit_db(setup);
	repo = unit_repo_load("m");
	h = unit_history(*db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, cause), 0);
	rc = migrate_apply(*db, p, 0, hooks, cause);
	plan_free(p);
	history_free(h);
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

/*
 * A copy is what the authorizer sees: an INSERT into exodb_new_T reading T
 * alone, whatever its shape. Anything else runs without progress.
 */
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
	ck_assert_int_eq(apply_one(BIG_TABLE("(a, b)", "n, n") "; CREATE "
	    "TABLE other (a, b); INSERT INTO other SELECT * FROM big",
	    "CREATE TABLE exodb_new_big (a, b);\n"
	    "INSERT INTO exodb_new_big SELECT a, b FROM other;\n"
	    "INSERT INTO exodb_new_big SELECT o.a, b.b FROM big AS b JOIN "
	    "other AS o USING (a);\n"
	    "INSERT INTO other SELECT a, b FROM big;\n",
	    &hooks, &db, &cause), 1);
	ck_assert_int_eq(seen.calls, 0);
	CK_STR(unit_query(db, "SELECT count(*) FROM exodb_new_big"), "20000");
	sqlite3_close(db);
	unit_rmdir();
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(apply_one(BIG_TABLE("(a, b)", "n, n"),
	    "CREATE TABLE exodb_new_big (a, b CHECK (b > 0));\n"
	    "INSERT INTO \"exodb_new_big\" SELECT a, b FROM BIG WHERE a IS NOT "
	    "DISTINCT FROM b ORDER BY a DESC;\n",
	    &hooks, &db, &cause), 1);
	ck_assert_int_eq(seen.calls, 3);
	ck_assert_int_eq(seen.finals, 1);
	ck_assert_int_eq(seen.last, 10000);
	CK_STR(unit_query(db, "SELECT count(*) FROM exodb_new_big"), "10000");
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

START_TEST(test_migrate_script)
{
	struct repo		*repo;
	struct history		*h;
	struct plan	*p;
	sqlite3			*db = unit_db(NULL), *other = unit_db(NULL);
	char			*cause = NULL, *script, *script_sums;

	graph();
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_script(p, 0, &script, &cause), 0);
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
	plan_free(p);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	sqlite3_close(other);
	unit_rmdir();
}
END_TEST

/* Apply the repository m to head: what migrate_apply() returns, as text. */
static char *
apply_head(sqlite3 *db, char **cause)
{
	struct repo	*repo = unit_repo_load("m");
	struct history	*h = unit_history(db);
	struct plan	*p;
	int		 rc;

	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, cause), 0);
	rc = migrate_apply(db, p, 0, NULL, cause);
	plan_free(p);
	history_free(h);
	repo_free(repo);
	return xasprintf("%d", rc);
}

static void
statement_seen(const struct revision *rev, unsigned line, const char *sql,
    void *arg)
{
	(void)rev;
	sqlite3_str_appendf(arg, "%u:%s|", line, sql);
}

/*
 * SQLite splits the section: semicolons inside strings, identifiers, comments
 * and trigger bodies do not end a statement, and each statement's line is
 * where its first token is.
 */
START_TEST(test_migrate_apply_statements)
{
	struct migrate_hooks	 hooks;
	sqlite3_str		*s = sqlite3_str_new(NULL);
	sqlite3			*db;
	char			*cause = NULL;

	memset(&hooks, 0, sizeof hooks);
	hooks.statement = statement_seen;
	hooks.arg = s;
	ck_assert_int_eq(apply_one(NULL,
	    "-- leading comment; with semicolon\n"
	    "CREATE TABLE t (a TEXT DEFAULT ';');\n"
	    ";;\n"
	    "create trigger tr after insert on t begin\n"
	    "  insert into t2 values ('x;');\n"
	    "  select 1;\n"
	    "end;\n"
	    "CREATE TABLE t2 (\"q;\" /* ; */);\n"
	    "/* c; */ INSERT INTO t VALUES ('it''s;')\n"
	    "-- no semicolon before the end\n", &hooks, &db, &cause), 1);
	CK_STR(xstr_finish(s), "9:CREATE TABLE t (a TEXT DEFAULT ';')|"
	    "11:create trigger tr after insert on t begin\n"
	    "  insert into t2 values ('x;');\n  select 1;\nend|"
	    "15:CREATE TABLE t2 (\"q;\" /* ; */)|"
	    "16:INSERT INTO t VALUES ('it''s;')\n"
	    "-- no semicolon before the end|");
	CK_STR(unit_query(db, "SELECT group_concat(a, ' ') FROM t"), "it's;");
	CK_STR(unit_query(db, "SELECT group_concat(\"q;\", ' ') FROM t2"), "x;");
	sqlite3_close(db);
	unit_rmdir();
	/* A parse error is on the line SQLite points at. */
	ck_assert_int_eq(apply_one(NULL, "CREATE TABLE t (a,\n\tb,\n\t);\n",
	    NULL, &db, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000001_r.sql:10: near "
	    "\")\": syntax error");
	free(cause);
	sqlite3_close(db);
	unit_rmdir();
	ck_assert_int_eq(apply_one(NULL, "SELECT 1;\nSELECT 'x\n;\n", NULL,
	    &db, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000001_r.sql:9: "
	    "unrecognized token: \"'x ...");
	free(cause);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/*
 * The authorizer refuses what a revision may not do, before it runs: the
 * database file is as it was, the journal mode with it.
 */
START_TEST(test_migrate_apply_refuses)
{
	static const char *bad[][2] = {
	    { "BEGIN", "BEGIN is not allowed in a revision: exodb runs each "
	      "revision in its own transaction" },
	    { "commit", "COMMIT is not allowed in a revision" },
	    { "END TRANSACTION", "COMMIT is not allowed in a revision" },
	    { "ROLLBACK", "ROLLBACK is not allowed in a revision" },
	    { "SAVEPOINT a", "SAVEPOINT is not allowed in a revision" },
	    { "RELEASE a", "RELEASE is not allowed in a revision" },
	    { "ATTACH 'y.db' AS y", "ATTACH is not allowed in a revision: it "
	      "changes the connection" },
	    { "DETACH y", "DETACH is not allowed in a revision" },
	    { "VACUUM", "cannot VACUUM from within a transaction" },
	    { "PRAGMA journal_mode = OFF", "PRAGMA journal_mode is not allowed "
	      "in a revision: it changes the connection or its durability" },
	    { "PRAGMA journal_mode = DELETE", "PRAGMA journal_mode is not "
	      "allowed in a revision" },
	    { "PRAGMA main.journal_mode = WAL", "PRAGMA journal_mode is not "
	      "allowed in a revision" },
	    { "PRAGMA synchronous = OFF", "PRAGMA synchronous is not allowed" },
	    { "PRAGMA writable_schema = 1", "PRAGMA writable_schema is not "
	      "allowed" },
	    { "PRAGMA foreign_keys = ON", "PRAGMA foreign_keys is not allowed" },
	    { "SELECT * FROM pragma_locking_mode", "PRAGMA locking_mode is not "
	      "allowed" },
	    { "DELETE FROM exodb_revisions", "revisions must not touch the "
	      "history table exodb_revisions" },
	    { "DROP TABLE \"exodb_revisions\"", "revisions must not touch "
	      "the history table exodb_revisions" },
	    { "ALTER TABLE exodb_revisions ADD COLUMN x", "revisions must not "
	      "touch the history table exodb_revisions" },
	    { "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO "
	      "exodb_revisions VALUES (1, 2, 3); END", "revisions must not "
	      "touch the history table exodb_revisions: trigger tr names it" },
	    { "CREATE TEMP TRIGGER tt AFTER DELETE ON t BEGIN DELETE FROM "
	      "exodb_revisions; END", "revisions must not touch the history "
	      "table exodb_revisions: trigger tt names it" },
	    { "CREATE VIEW v AS SELECT * FROM [exodb_revisions]", "revisions "
	      "must not touch the history table exodb_revisions: view v names "
	      "it" },
	};
	sqlite3	*db;
	char	*cause = NULL, *sql, *mode;
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sql = xasprintf("CREATE TABLE t (a);\n%s;\nCREATE TABLE u (a);"
		    "\n", bad[i][0]);
		unit_tmpdir();
		ck_assert_int_eq(sqlite3_open("x.db", &db), SQLITE_OK);
		unit_exec(db, "CREATE TABLE keep (a)");
		mode = unit_query(db, "PRAGMA journal_mode");
		sqlite3_close(db);
		ck_assert_int_eq(repo_init("m", &cause), 0);
		unit_revision("m/versions", "20260101000001", "none", "r", NULL,
		    NULL);
		unit_revision("m/versions", "20260101000002", "20260101000001",
		    "r", sql, NULL);
		free(sql);
		ck_assert_int_eq(sqlite3_open("x.db", &db), SQLITE_OK);
		CK_STR(apply_head(db, &cause), "-1");
		ck_assert_msg(strncmp(cause, "m/versions/20260101000002_r.sql",
		    31) == 0 && strstr(cause, bad[i][1]) != NULL, "%s: %s",
		    bad[i][0], cause);
		/* Nothing ran: not even the first, empty revision. */
		CK_STR(unit_query(db, "SELECT group_concat(name) FROM "
		    "sqlite_schema"), "keep");
		CK_STR(unit_query(db, "PRAGMA journal_mode"), mode);
		ck_assert(access("x.db-journal", F_OK) == -1);
		ck_assert(access("y.db", F_OK) == -1);
		free(mode);
		free(cause);
		sqlite3_close(db);
		unit_rmdir();
	}
}
END_TEST

/*
 * The plan runs on a copy of the schema before the first revision commits:
 * an error in the third revision leaves the database as it was, and names
 * the third file and its line.
 */
START_TEST(test_migrate_check)
{
	struct repo	*repo;
	struct history	*h;
	struct plan	*p;
	sqlite3		*db = unit_db("CREATE TABLE keep (a); "
	    "INSERT INTO keep VALUES (1)");
	char		*cause = NULL;

	graph();
	write_bad("CREATE TABLE d (x);\nINSERT INTO d SELECT x FROM c;\n"
	    "INSERT INTO d SELECT y\n  FROM c;\n", NULL);
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_uint_eq(p->nrevs, 5);
	ck_assert_int_eq(migrate_apply(db, p, 0, NULL, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000005_bad.sql:10: no "
	    "such column: y");
	free(cause);
	CK_STR(unit_query(db, "SELECT group_concat(name) FROM sqlite_schema"),
	    "keep");
	/* For a script, only a refusal fails the check. */
	ck_assert_int_eq(migrate_check(db, p, MIGRATE_REFUSALS, &cause), 0);
	ck_assert_int_eq(migrate_check(db, p, 0, &cause), -1);
	free(cause);
	plan_free(p);
	history_free(h);
	repo_free(repo);
	write_bad("INSERT INTO nowhere VALUES (1);\n"
	    "PRAGMA journal_mode = OFF;\n", NULL);
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_check(db, p, MIGRATE_REFUSALS, &cause), 0);
	plan_free(p);
	history_free(h);
	repo_free(repo);
	write_bad("PRAGMA journal_mode = OFF;\n", NULL);
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_check(db, p, MIGRATE_REFUSALS, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000005_bad.sql:8: PRAGMA "
	    "journal_mode is not allowed in a revision: it changes the "
	    "connection or its durability");
	free(cause);
	plan_free(p);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

static void
done_seen(const struct revision *rev, int up, void *arg)
{
	(void)up;
	sqlite3_str_appendf(arg, "%s ", rev->id + 12);
}

/* With MIGRATE_SINGLE the plan is all or nothing. */
START_TEST(test_migrate_apply_single)
{
	struct migrate_hooks	 hooks;
	struct repo		*repo;
	struct history		*h;
	struct plan		*p;
	sqlite3_str		*s;
	sqlite3			*db = unit_db("CREATE TABLE keep (a); "
	    "INSERT INTO keep VALUES (1)");
	char			*cause = NULL;

	graph();
	/* It fails on the database's rows, which the copy does not have. */
	write_bad("CREATE TABLE d (x UNIQUE);\n"
	    "INSERT INTO d SELECT a FROM keep;\n"
	    "INSERT INTO d SELECT a FROM keep;\n", "DROP TABLE d;\n");
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_apply(db, p, MIGRATE_SINGLE, NULL, &cause),
	    -1);
	ck_assert_str_eq(cause, "m/versions/20260101000005_bad.sql:10: UNIQUE "
	    "constraint failed: d.x");
	free(cause);
	CK_STR(unit_query(db, "SELECT group_concat(name) FROM sqlite_schema"),
	    "keep");
	ck_assert(sqlite3_get_autocommit(db));
	/* Revision by revision, the first four stay applied. */
	ck_assert_int_eq(migrate_apply(db, p, 0, NULL, &cause), -1);
	free(cause);
	CK_STR(applied(db), "01 02 03 04");
	plan_free(p);
	history_free(h);
	move(db, repo, "base", 0, 4);
	unit_exec(db, "DELETE FROM keep");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	memset(&hooks, 0, sizeof hooks);
	s = sqlite3_str_new(NULL);
	hooks.done = done_seen;
	hooks.arg = s;
	ck_assert_int_eq(migrate_apply(db, p, MIGRATE_SINGLE, &hooks, &cause),
	    5);
	CK_STR(xstr_finish(s), "01 02 03 04 05 ");
	CK_STR(applied(db), "01 02 03 04 05");
	plan_free(p);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* A revision that adds a foreign key is checked, though none was before. */
START_TEST(test_migrate_apply_new_foreign_key)
{
	sqlite3	*db;
	char	*cause = NULL;

	ck_assert_int_eq(apply_one(NULL, "CREATE TABLE p (id INTEGER PRIMARY "
	    "KEY);\nCREATE TABLE c (pid INTEGER REFERENCES p (id));\n"
	    "INSERT INTO c VALUES (7);\n", NULL, &db, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000001_r.sql: foreign key "
	    "check failed: 1 row of c refers to missing rows of p");
	free(cause);
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema"), "0");
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* So is one that adds a column with a foreign key to an existing table. */
START_TEST(test_migrate_apply_added_foreign_key)
{
	sqlite3	*db;
	char	*cause = NULL;

	ck_assert_int_eq(apply_one("CREATE TABLE p (id INTEGER PRIMARY KEY); "
	    "CREATE TABLE c (a); INSERT INTO c VALUES (1)",
	    "ALTER TABLE c ADD COLUMN pid INTEGER\n"
	    "    REFERENCES p (id);\nUPDATE c SET pid = 7;\n", NULL, &db,
	    &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000001_r.sql: foreign key "
	    "check failed: 1 row of c refers to missing rows of p");
	free(cause);
	CK_STR(unit_query(db, "SELECT sql FROM sqlite_schema WHERE name = 'c'"),
	    "CREATE TABLE c (a)");
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* One transaction for the whole script, and the history table made once. */
START_TEST(test_migrate_script_single)
{
	struct repo	*repo;
	struct history	*h;
	struct plan	*p;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL, *script;
	const char	*q;
	int		 n;

	graph();
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_script(p, MIGRATE_SINGLE, &script, &cause),
	    0);
	for (n = 0, q = script; (q = strstr(q, "BEGIN IMMEDIATE;")) != NULL;
	    q++)
		n++;
	ck_assert_int_eq(n, 1);
	for (n = 0, q = script; (q = strstr(q, "CREATE TABLE IF NOT EXISTS "
	    "exodb_revisions")) != NULL; q++)
		n++;
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(script, "VALUES ('20260101000004', '"));
	ck_assert_int_eq(strcmp(script + strlen(script) - 9, "\nCOMMIT;\n"),
	    0);
	unit_exec(db, strstr(script, "PRAGMA"));
	CK_STR(applied(db), "01 02 03 04");
	free(script);
	/* The revision's section as written, ended for the next one. */
	plan_free(p);
	history_free(h);
	repo_free(repo);
	unit_revision("m/versions", "20260101000005", "20260101000004", "e",
	    "CREATE TABLE e (x) -- no end", NULL);
	repo = unit_repo_load("m");
	h = unit_history(db);
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_int_eq(migrate_script(p, 0, &script, &cause), 0);
	ck_assert_ptr_nonnull(strstr(script, "CREATE TABLE e (x) -- no end\n"
	    ";\nINSERT INTO temp.exodb_fk_check"));
	unit_exec(db, "DROP TABLE temp.exodb_fk_check; DROP TABLE "
	    "temp.exodb_fk_before");
	unit_exec(db, strstr(script, "PRAGMA"));
	CK_STR(applied(db), "01 02 03 04 05");
	free(script);
	plan_free(p);
	history_free(h);
	repo_free(repo);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/*
 * A revision written for PostgreSQL alone has no SQLite section to replay:
 * the replay is refused before anything runs, naming the file.
 */
START_TEST(test_migrate_replay_no_section)
{
	struct repo	*repo;
	struct plan	 plan;
	sqlite3		*db = unit_db(NULL);
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(mkdir("m", 0700), 0);
	ck_assert_int_eq(mkdir("m/versions", 0700), 0);
	unit_revision("m/versions", "20260101000001", "none", "a",
	    "CREATE TABLE t (x);", "DROP TABLE t;");
	unit_write("m/versions/20260101000002_pg.sql", "-- exodb revision\n"
	    "-- id: 20260101000002\n-- revises: 20260101000001\n"
	    "-- message: pg\n-- created: 2026-01-01T00:00:00Z\n\n"
	    "-- +upgrade postgresql\nCREATE TABLE u (x int);\n\n"
	    "-- +downgrade postgresql\nDROP TABLE u;\n");
	repo = unit_repo_load("m");
	memset(&plan, 0, sizeof plan);
	plan.up = 1;
	plan.revs = repo->revs;
	plan.nrevs = repo->nrevs;
	ck_assert_int_eq(migrate_replay(db, &plan, &cause), -1);
	ck_assert_str_eq(cause, "m/versions/20260101000002_pg.sql: has no "
	    "upgrade section for SQLite ('-- +upgrade'); write one for this "
	    "database");
	free(cause);
	/* Nothing ran, not even the revision before. */
	CK_STR(unit_query(db, "SELECT count(*) FROM sqlite_schema"), "0");
	sqlite3_close(db);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("migrate");
	TCase	*tc;

	tc = tcase_create("migrate_apply");
	tcase_add_test(tc, test_migrate_apply);
	tcase_add_test(tc, test_migrate_apply_rereads_history);
	tcase_add_test(tc, test_migrate_apply_rolls_back);
	tcase_add_test(tc, test_migrate_apply_progress);
	tcase_add_test(tc, test_migrate_apply_progress_only_for_copies);
	tcase_add_test(tc, test_migrate_apply_names_the_table);
	tcase_add_test(tc, test_migrate_apply_statements);
	tcase_add_test(tc, test_migrate_apply_refuses);
	tcase_add_test(tc, test_migrate_apply_single);
	tcase_add_test(tc, test_migrate_apply_new_foreign_key);
	tcase_add_test(tc, test_migrate_apply_added_foreign_key);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_check");
	tcase_add_test(tc, test_migrate_check);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_replay");
	tcase_add_test(tc, test_migrate_replay_no_section);
	suite_add_tcase(s, tc);
	tc = tcase_create("migrate_script");
	tcase_add_test(tc, test_migrate_script);
	tcase_add_test(tc, test_migrate_script_single);
	suite_add_tcase(s, tc);
	return s;
}
