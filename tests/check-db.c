/* Unit tests of src/db.c: opening the one safe way, and the helpers. */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "unit.h"

/*
 * The folders fsync() was called on, by device and inode: this definition
 * takes the place of the C library's for db.c (and SQLite) in this program.
 */
static struct stat	synced[32];
static int		nsynced;

int
fsync(int fd)
{
	struct stat	sb;

	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) && nsynced < 32)
		synced[nsynced++] = sb;
	return (int)syscall(SYS_fsync, fd);
}

static int
was_synced(const char *dir)
{
	struct stat	sb;
	int		i;

	ck_assert_int_eq(stat(dir, &sb), 0);
	for (i = 0; i < nsynced; i++) {
		if (synced[i].st_dev == sb.st_dev &&
		    synced[i].st_ino == sb.st_ino)
			return 1;
	}
	return 0;
}

static int
db_setting(sqlite3 *db, int op)
{
	int	v = -1;

	ck_assert_int_eq(sqlite3_db_config(db, op, -1, &v), SQLITE_OK);
	return v;
}

static char *
open_error(const char *path, enum db_mode mode)
{
	struct db_created	 created;
	sqlite3			*db;
	char			*cause = NULL;

	ck_assert_int_eq(db_open(path, mode, &db, &created, &cause), -1);
	ck_assert_ptr_null(db);
	return cause;
}

#define CK_ERROR(path, mode, want) do {					\
	char *c_ = open_error(path, mode);				\
	ck_assert_msg(strstr(c_, want) != NULL, "%s", c_);		\
	free(c_);							\
} while (0)

START_TEST(test_db_open_create)
{
	struct db_created	 created;
	struct stat		 sb;
	sqlite3			*db;
	char			*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(db_open("inst/dev.db", DB_CREATE, &db, &created,
	    &cause), 0);
	ck_assert(created.file && created.dir);
	ck_assert_int_eq(stat("inst", &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	ck_assert_int_eq(stat("inst/dev.db", &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	sqlite3_close(db);
	/* Nothing committed: discard takes file and folder back. */
	db_discard("inst/dev.db", &created);
	ck_assert_int_eq(access("inst", F_OK), -1);
	ck_assert_int_eq(db_open("inst/dev.db", DB_CREATE, &db, &created,
	    &cause), 0);
	unit_exec(db, "CREATE TABLE t (x)");
	sqlite3_close(db);
	db_discard("inst/dev.db", &created);
	ck_assert_int_eq(access("inst/dev.db", F_OK), 0);
	ck_assert_int_eq(db_open("inst/dev.db", DB_CREATE, &db, &created,
	    &cause), 0);
	ck_assert(!created.file && !created.dir);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* The names of a new database and of its new folder are on disk. */
START_TEST(test_db_open_syncs_folder)
{
	struct db_created	 created;
	sqlite3			*db;
	char			*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(mkdir("old", 0700), 0);
	nsynced = 0;
	ck_assert_int_eq(db_open("old/dev.db", DB_CREATE, &db, &created,
	    &cause), 0);
	ck_assert(was_synced("old"));
	ck_assert(!was_synced("."));
	sqlite3_close(db);
	nsynced = 0;
	ck_assert_int_eq(db_open("new/dev.db", DB_CREATE, &db, &created,
	    &cause), 0);
	ck_assert(was_synced("new"));
	ck_assert(was_synced("."));
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* Every connection runs with the same safe settings, whatever its mode. */
START_TEST(test_db_open_settings)
{
	static const enum db_mode	 modes[] = { DB_CREATE, DB_WRITE,
					    DB_READ };
	struct db_created		 created;
	sqlite3				*db;
	char				*cause = NULL;
	size_t				 i;

	unit_tmpdir();
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		ck_assert_int_eq(db_open("dev.db", modes[i], &db, &created,
		    &cause), 0);
		ck_assert_int_eq(db_setting(db,
		    SQLITE_DBCONFIG_TRUSTED_SCHEMA), 0);
		ck_assert_int_eq(db_setting(db, SQLITE_DBCONFIG_DQS_DDL), 0);
		ck_assert_int_eq(db_setting(db, SQLITE_DBCONFIG_DQS_DML), 0);
		ck_assert_int_eq(db_setting(db, SQLITE_DBCONFIG_DEFENSIVE), 1);
		CK_STR(unit_query(db, "PRAGMA journal_mode"), "delete");
		CK_STR(unit_query(db, "PRAGMA synchronous"), "2");
		/* A double-quoted word is a name, never a string. */
		ck_assert_int_eq(db_exec(db, "SELECT \"nope\"", &cause), -1);
		ck_assert_str_eq(cause, "no such column: nope");
		free(cause);
		sqlite3_close(db);
	}
	/* A database in WAL mode keeps its own synchronous setting. */
	ck_assert_int_eq(db_open("dev.db", DB_WRITE, &db, &created, &cause),
	    0);
	unit_exec(db, "PRAGMA journal_mode = WAL");
	sqlite3_close(db);
	ck_assert_int_eq(db_open("dev.db", DB_WRITE, &db, &created, &cause),
	    0);
	CK_STR(unit_query(db, "PRAGMA journal_mode"), "wal");
	ck_assert_int_eq(db_setting(db, SQLITE_DBCONFIG_DEFENSIVE), 1);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* Anyone who may write the file or its folder could change the database. */
START_TEST(test_db_open_world_writable)
{
	struct db_created	 created;
	sqlite3			*db;
	char			*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(mkdir("inst", 0700), 0);
	ck_assert_int_eq(db_open("inst/dev.db", DB_CREATE, &db, &created,
	    &cause), 0);
	sqlite3_close(db);
	ck_assert_int_eq(chmod("inst/dev.db", 0666), 0);
	CK_ERROR("inst/dev.db", DB_WRITE, "inst/dev.db: database is writable "
	    "by anyone; run 'chmod o-w inst/dev.db'");
	CK_ERROR("inst/dev.db", DB_READ, "writable by anyone");
	ck_assert_int_eq(chmod("inst/dev.db", 0660), 0);
	ck_assert_int_eq(chmod("inst", 0777), 0);
	CK_ERROR("inst/dev.db", DB_WRITE, "inst: folder is writable by anyone; "
	    "run 'chmod o-w inst'");
	CK_ERROR("inst/dev.db", DB_READ, "inst: folder is writable by anyone");
	CK_ERROR("inst/new.db", DB_CREATE, "inst: folder is writable by "
	    "anyone");
	ck_assert_int_eq(access("inst/new.db", F_OK), -1);
	ck_assert_int_eq(chmod("inst", 0755), 0);
	ck_assert_int_eq(db_open("inst/dev.db", DB_WRITE, &db, &created,
	    &cause), 0);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

START_TEST(test_db_open_read)
{
	struct db_created	 created;
	sqlite3			*db;
	char			*cause = NULL;

	unit_tmpdir();
	/* DB_READ_EMPTY reads a missing file as empty and creates nothing. */
	ck_assert_int_eq(db_open("no/dev.db", DB_READ_EMPTY, &db, &created,
	    &cause), 0);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL,
	    NULL), SQLITE_READONLY);
	sqlite3_close(db);
	ck_assert_int_eq(access("no", F_OK), -1);
	/* A missing database is not an empty one: one message for both. */
	CK_ERROR("no/dev.db", DB_READ, "no/dev.db: no such database; "
	    "'exodb db upgrade' creates it");
	CK_ERROR("no/dev.db", DB_WRITE, "no/dev.db: no such database; "
	    "'exodb db upgrade' creates it");
	ck_assert_int_eq(access("no", F_OK), -1);
	unit_rmdir();
}
END_TEST

START_TEST(test_db_open_refuses)
{
	unit_tmpdir();
	unit_write("text.db", "not a database at all, just some text\n");
	CK_ERROR("text.db", DB_READ, "text.db: file is not a database");
	CK_ERROR("text.db", DB_CREATE, "text.db: file is not a database");
	ck_assert_int_eq(mkdir("dir.db", 0700), 0);
	CK_ERROR("dir.db", DB_READ, "dir.db: is a directory");
	ck_assert_int_eq(symlink("text.db", "link.db"), 0);
	CK_ERROR("link.db", DB_CREATE, "link.db: is a symbolic link");
	ck_assert_int_eq(symlink("none.db", "dangling.db"), 0);
	CK_ERROR("dangling.db", DB_CREATE, "dangling.db: is a symbolic link");
	ck_assert_int_eq(access("none.db", F_OK), -1);
	CK_ERROR("file:x.db", DB_CREATE, "file:x.db: URI file names are not "
	    "accepted");
	CK_ERROR("file:x.db?mode=memory", DB_READ, "URI file names");
	ck_assert_int_eq(access("file:x.db", F_OK), -1);
	CK_ERROR("missing/deeper/x.db", DB_CREATE, "cannot create folder");
	unit_rmdir();
}
END_TEST

START_TEST(test_db_exec_prepare)
{
	sqlite3		*db = unit_db(NULL);
	sqlite3_stmt	*stmt;
	char		*cause = NULL;
	long long	 n;
	int		 exists;

	ck_assert_int_eq(db_exec(db, "CREATE TABLE \"we'ird\" (x); INSERT INTO "
	    "\"we'ird\" VALUES (1), (2)", &cause), 0);
	ck_assert_int_eq(db_exec(db, "SELEC 1", &cause), -1);
	ck_assert_str_eq(cause, "near \"SELEC\": syntax error");
	free(cause);
	/* %w quotes an identifier whatever it holds. */
	ck_assert_int_eq(db_prepare(db, &stmt, &cause, "SELECT count(*) FROM "
	    "\"%w\"", "we'ird"), 0);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(stmt, 0), 2);
	sqlite3_finalize(stmt);
	ck_assert_int_eq(db_prepare(db, &stmt, &cause, "SELECT * FROM nowhere"),
	    -1);
	ck_assert_ptr_null(stmt);
	ck_assert_str_eq(cause, "no such table: nowhere");
	free(cause);
	ck_assert_int_eq(db_table_exists(db, "we'ird", &exists, &cause), 0);
	ck_assert(exists);
	ck_assert_int_eq(db_table_exists(db, "x", &exists, &cause), 0);
	ck_assert(!exists);
	ck_assert_int_eq(db_count(db, "SELECT max(x) FROM \"we'ird\"", &n,
	    &cause), 0);
	ck_assert_int_eq(n, 2);
	sqlite3_close(db);
}
END_TEST

/*
 * SQL text that SQLite cannot allocate is an out-of-memory error, never an
 * empty statement run in its place ("not an error"). The heap limit fails
 * the large allocation and lets the small ones after it through.
 */
START_TEST(test_db_out_of_memory)
{
	sqlite3		*db = unit_db("CREATE TABLE t (x)");
	sqlite3_stmt	*stmt;
	char		*big, *cause = NULL;
	long long	 n;
	int		 exists = -1;

	big = xmalloc(200000);
	memset(big, 'a', 199999);
	big[199999] = '\0';
	ck_assert_int_gt(sqlite3_memory_used(), 0);
	sqlite3_hard_heap_limit64(sqlite3_memory_used() + 100000);
	ck_assert_int_eq(db_exists(db, "v", &exists, &cause, "SELECT 1 FROM t "
	    "WHERE x = ?1 OR x = %Q", big), -1);
	ck_assert_str_eq(cause, "out of memory building an SQL statement");
	free(cause);
	ck_assert_int_eq(db_prepare(db, &stmt, &cause, "SELECT %Q", big), -1);
	ck_assert_ptr_null(stmt);
	ck_assert_str_eq(cause, "out of memory building an SQL statement");
	free(cause);
	sqlite3_hard_heap_limit64(0);
	/* What a caller's own sqlite3_mprintf() could not allocate. */
	ck_assert_int_eq(db_count(db, NULL, &n, &cause), -1);
	ck_assert_str_eq(cause, "out of memory building an SQL statement");
	free(cause);
	/* Nothing to prepare is an error too, not a statement. */
	ck_assert_int_eq(db_count(db, " -- nothing", &n, &cause), -1);
	ck_assert_str_eq(cause, "no SQL statement to run");
	free(cause);
	ck_assert_int_eq(db_exists(db, "v", &exists, &cause, "SELECT 1 FROM t "
	    "WHERE x = ?1"), 0);
	ck_assert(!exists);
	free(big);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_db_copy_schema)
{
	sqlite3	*from, *to;
	char	*cause = NULL;

	from = unit_db("CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, "
	    "b UNIQUE); CREATE INDEX t_b ON t (b); CREATE VIEW v AS SELECT * "
	    "FROM t; CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"
	    "CREATE TABLE exodb_revisions (id); INSERT INTO t (b) VALUES (1);"
	    "CREATE VIRTUAL TABLE f USING fts5(body);");
	to = unit_db(NULL);
	ck_assert_int_eq(db_copy_schema(from, to, &cause), 0);
	CK_STR(unit_query(to, "SELECT group_concat(name, ' ') FROM (SELECT "
	    "name FROM sqlite_schema WHERE name NOT LIKE 'f_%' ORDER BY name)"),
	    "f sqlite_autoindex_t_1 sqlite_sequence t t_b tr v");
	CK_STR(unit_query(to, "SELECT count(*) FROM t"), "0");
	sqlite3_close(from);
	sqlite3_close(to);
}
END_TEST

/* db_backup and db_rollback */
START_TEST(test_db_backup)
{
	sqlite3	*db, *copy;
	char	*cause = NULL, *a, *b;

	unit_tmpdir();
	ck_assert_int_eq(sqlite3_open("x.db", &db), SQLITE_OK);
	unit_exec(db, "CREATE TABLE t (v); INSERT INTO t VALUES (42)");
	ck_assert_int_eq(db_backup(db, "x.db", &a, &cause), 0);
	ck_assert_int_eq(db_backup(db, "x.db", &b, &cause), 0);
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

START_TEST(test_db_rollback)
{
	sqlite3	*db;

	unit_tmpdir();
	ck_assert_int_eq(sqlite3_open("x.db", &db), SQLITE_OK);
	unit_exec(db, "CREATE TABLE t (v); BEGIN; INSERT INTO t VALUES (1)");
	ck_assert(access("x.db-journal", F_OK) == 0);
	db_rollback(db);
	ck_assert(sqlite3_get_autocommit(db));
	ck_assert(access("x.db-journal", F_OK) == -1);
	CK_STR(unit_query(db, "SELECT count(*) FROM t"), "0");
	/* Without a transaction it does nothing. */
	db_rollback(db);
	sqlite3_close(db);
	unit_rmdir();
}
END_TEST

/* The paths the busy handler said it waits for. */
static int		 busy_calls;
static const char	*busy_path;

static void
busy_waiting(const char *path)
{
	busy_calls++;
	busy_path = path;
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A lock another connection holds is waited for as long as db_set_busy()
 * says, with one call of the note after a second, then the open fails.
 */
START_TEST(test_db_open_busy)
{
	struct db_created	 created;
	sqlite3			*db, *holder;
	char			*cause = NULL;
	long long		 start, waited;

	unit_tmpdir();
	ck_assert_int_eq(db_open("dev.db", DB_CREATE, &db, &created, &cause),
	    0);
	unit_exec(db, "CREATE TABLE t (x)");
	sqlite3_close(db);
	ck_assert_int_eq(sqlite3_open("dev.db", &holder), SQLITE_OK);
	unit_exec(holder, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)");
	db_set_busy(200, busy_waiting);
	start = now_ms();
	CK_ERROR("dev.db", DB_READ, "dev.db: database is locked");
	waited = now_ms() - start;
	ck_assert_msg(waited >= 200, "waited %lld ms", waited);
	ck_assert_int_eq(busy_calls, 0);
	ck_assert(db_busy_gave_up());
	db_set_busy(1300, busy_waiting);
	CK_ERROR("dev.db", DB_WRITE, "dev.db: database is locked");
	ck_assert_int_eq(busy_calls, 1);
	ck_assert_str_eq(busy_path, "dev.db");
	/* Released, the lock is taken at once. */
	unit_exec(holder, "COMMIT");
	ck_assert_int_eq(db_open("dev.db", DB_WRITE, &db, &created, &cause),
	    0);
	CK_STR(unit_query(db, "SELECT count(*) FROM t"), "1");
	sqlite3_close(db);
	sqlite3_close(holder);
	unit_rmdir();
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("db");
	TCase	*tc;

	tc = tcase_create("db_open");
	tcase_add_test(tc, test_db_open_create);
	tcase_add_test(tc, test_db_open_read);
	tcase_add_test(tc, test_db_open_refuses);
	tcase_add_test(tc, test_db_open_syncs_folder);
	tcase_add_test(tc, test_db_open_settings);
	tcase_add_test(tc, test_db_open_world_writable);
	tcase_add_test(tc, test_db_open_busy);
	suite_add_tcase(s, tc);
	tc = tcase_create("db_exec");
	tcase_add_test(tc, test_db_exec_prepare);
	tcase_add_test(tc, test_db_out_of_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("db_copy_schema");
	tcase_add_test(tc, test_db_copy_schema);
	suite_add_tcase(s, tc);
	tc = tcase_create("db_backup");
	tcase_add_test(tc, test_db_backup);
	tcase_add_test(tc, test_db_rollback);
	suite_add_tcase(s, tc);
	return s;
}
