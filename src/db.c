/*
 * Opening databases the one safe way, and small helpers to run statements.
 * Databases are plain files: no URI names, no symbolic links, nothing anyone
 * may write to, created 0600 in a folder made 0700 (both names synced to
 * disk), with a busy timeout so that concurrent runs wait their turn.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exodb.h"

/*
 * How long to wait for another process's lock (db_set_busy() changes it),
 * and after how long to say that we wait, both in milliseconds.
 */
#define DB_BUSY_TIMEOUT	30000
static long	  db_busy_ms = DB_BUSY_TIMEOUT;
#define DB_BUSY_NOTE	1000

/* Called once per wait that lasts DB_BUSY_NOTE ms, with the database's path. */
static void	(*db_busy_waiting)(const char *);

/* Whether a wait for a lock ran out since the process started. */
static int	  db_busy_expired;

/*
 * SQLite's message for the connection's last error. A failure SQLite did not
 * record (a statement never made because its text could not be) is memory.
 */
char *
db_error(sqlite3 *db)
{
	if (sqlite3_errcode(db) == SQLITE_OK)
		return xstrdup("out of memory");
	return xstrdup(sqlite3_errmsg(db));
}

/*
 * The text of a statement built with sqlite3_vmprintf(); NULL, with *cause
 * set, when SQLite could not allocate it. The caller frees with sqlite3_free().
 */
static char *
db_vmprintf(char **cause, const char *fmt, va_list ap)
{
	char	*sql;

	if ((sql = sqlite3_vmprintf(fmt, ap)) == NULL)
		*cause = xstrdup("out of memory building an SQL statement");
	return sql;
}

/*
 * Make the connection read the database again after a failed write, so that
 * SQLite rolls a hot journal back now rather than leaving it for the next
 * process that opens the file (one that may not be able to write the folder).
 * Any transaction still open is rolled back first.
 */
void
db_rollback(sqlite3 *db)
{
	if (db == NULL)
		return;
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
	    NULL);
}

/* Fsync the folder holding path, so that a new file's name is on disk. */
static int
db_sync_dir(const char *dir, char **cause)
{
	int	fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		*cause = xasprintf("%s: cannot sync folder: %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Refuse a file or folder anyone may write to, as ssh does for its keys: anyone
 * could replace the database, or plant a journal that SQLite would roll back
 * into it.
 */
static int
db_check_mode(const char *path, const struct stat *sb, const char *what,
    char **cause)
{
	if ((sb->st_mode & S_IWOTH) == 0)
		return 0;
	*cause = xasprintf("%s: %s is writable by anyone; run 'chmod o-w %s'",
	    path, what, path);
	return -1;
}

/*
 * The settings every connection runs with: no double-quoted strings, no SQL
 * functions with side effects reached from the schema, no writes to SQLite's
 * own tables, and a rollback journal synced fully at each commit.
 */
static int
db_configure(sqlite3 *db, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*mode;
	int		 rc;

	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
	    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) !=
	    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) !=
	    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) !=
	    SQLITE_OK) {
		*cause = db_error(db);
		return -1;
	}
	if (db_prepare(db, &stmt, cause, "PRAGMA journal_mode") == -1)
		return -1;
	rc = sqlite3_step(stmt);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) :
	    NULL;
	if (rc != SQLITE_ROW || mode == NULL) {
		*cause = db_error(db);
		sqlite3_finalize(stmt);
		return -1;
	}
	rc = strcmp(mode, "wal") == 0 ? 0 :
	    db_exec(db, "PRAGMA synchronous = FULL", cause);
	sqlite3_finalize(stmt);
	return rc;
}

/* The folder holding path; the caller frees it. */
static char *
db_dirname(const char *path)
{
	char	*copy, *dir;

	copy = xstrdup(path);
	dir = xstrdup(dirname(copy));
	free(copy);
	return dir;
}

/* Create the database file, and its folder if that is missing. */
static int
db_create(const char *path, struct db_created *created, char **cause)
{
	struct stat	 sb;
	char		*dir, *parent = NULL;
	int		 fd, ret = -1;

	dir = db_dirname(path);
	/* Another exodb may be making them too: EEXIST is not an error. */
	if (stat(dir, &sb) == 0) {
		if (db_check_mode(dir, &sb, "folder", cause) == -1)
			goto out;
	} else if (errno == ENOENT && mkdir(dir, 0700) == 0) {
		created->dir = 1;
		/* The new folder's name is in its parent. */
		parent = db_dirname(dir);
		if (db_sync_dir(parent, cause) == -1)
			goto out;
	} else if (errno != EEXIST) {
		*cause = xasprintf("%s: cannot create folder: %s", dir,
		    strerror(errno));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 && errno == EEXIST) {
		ret = 0;
		goto out;
	}
	if (fd == -1) {
		*cause = xasprintf("%s: cannot create database: %s", path,
		    strerror(errno));
		if (created->dir && rmdir(dir) == 0)
			created->dir = 0;
		goto out;
	}
	close(fd);
	created->file = 1;
	if (db_sync_dir(dir, cause) == -1)
		goto out;
	ret = 0;
out:
	free(dir);
	free(parent);
	return ret;
}

/*
 * Set how long a connection db_open() makes waits for another process's
 * lock, in milliseconds (at least 1), and what it calls, with the database's
 * path, when a wait has lasted a second: the command layer's note.
 */
void
db_set_busy(long ms, void (*waiting)(const char *))
{
	db_busy_ms = ms;
	db_busy_waiting = waiting;
}

/* Whether some wait for a lock ran out: why a statement failed, then. */
int
db_busy_gave_up(void)
{
	return db_busy_expired;
}

static long long
db_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SQLite's busy handler: sleep, 1 ms at first and doubling up to 100 ms, until
 * the lock is free or db_busy_ms have passed (then return 0: SQLITE_BUSY).
 * A wait starts when count is 0; waits never overlap in one thread, so one
 * start time serves every connection. arg is the database's path as given.
 */
static int
db_busy(void *arg, int count)
{
	static long long	 start;
	static int		 told;
	struct timespec		 ts;
	long long		 waited, ms;

	if (count == 0) {
		start = db_now_ms();
		told = 0;
	}
	waited = db_now_ms() - start;
	if (waited >= db_busy_ms) {
		db_busy_expired = 1;
		return 0;
	}
	if (!told && waited >= DB_BUSY_NOTE && db_busy_waiting != NULL) {
		told = 1;
		db_busy_waiting(arg);
	}
	ms = count < 7 ? 1LL << count : 100;
	if (ms > db_busy_ms - waited)
		ms = db_busy_ms - waited;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	return 1;
}

/* The one message for a database that is not there. */
static char *
db_missing(const char *path)
{
	return xasprintf("%s: no such database; 'exodb db upgrade' creates it",
	    path);
}

/*
 * Open the database at path. DB_READ and DB_WRITE need the file; DB_READ_EMPTY
 * reads a missing file as an empty database (an in-memory one); both read
 * modes are query-only and never create anything. DB_CREATE makes the file,
 * and records in *created what it made so that db_discard() can take it back
 * if the command fails. path is borrowed by the connection (its busy handler
 * names it): it must outlive it. On failure nothing is left open and *db is
 * NULL.
 */
int
db_open(const char *path, enum db_mode mode, sqlite3 **db,
    struct db_created *created, char **cause)
{
	struct stat	 sb;
	char		*dir = NULL, *sqlname = NULL, *why = NULL;
	int		 flags, memory = 0, ret = -1;

	*db = NULL;
	memset(created, 0, sizeof *created);
	if (strncmp(path, "file:", 5) == 0) {
		*cause = xasprintf("%s: URI file names are not accepted; give "
		    "a plain path", path);
		return -1;
	}
	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			return -1;
		}
		if (mode == DB_READ || mode == DB_WRITE) {
			*cause = db_missing(path);
			return -1;
		}
		if (mode == DB_READ_EMPTY)
			memory = 1;
		else if (db_create(path, created, cause) == -1)
			goto out;
	} else if (S_ISLNK(sb.st_mode)) {
		*cause = xasprintf("%s: is a symbolic link; exodb does not "
		    "follow links to databases", path);
		return -1;
	} else if (S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("%s: is a directory, not a database", path);
		return -1;
	} else if (!S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		return -1;
	} else if (db_check_mode(path, &sb, "database", cause) == -1)
		return -1;
	if (!memory) {
		dir = db_dirname(path);
		if (stat(dir, &sb) == 0 &&
		    db_check_mode(dir, &sb, "folder", cause) == -1)
			goto out;
	}
	if (mode != DB_READ && mode != DB_READ_EMPTY && !memory) {
		if (access(dir, W_OK) == -1) {
			*cause = xasprintf("%s: cannot write in folder '%s', "
			    "where SQLite keeps the journal: %s", path, dir,
			    strerror(errno));
			goto out;
		}
	}
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
	    SQLITE_OPEN_EXRESCODE;
	/* A file named ":memory:" is a file: SQLite is told "./:memory:". */
	if (memory)
		sqlname = xstrdup(":memory:");
	else if (strchr(path, '/') == NULL)
		sqlname = xasprintf("./%s", path);
	else
		sqlname = xstrdup(path);
	if (sqlite3_open_v2(sqlname, db, flags, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, *db == NULL ?
		    "out of memory" : sqlite3_errmsg(*db));
		goto out;
	}
	sqlite3_busy_handler(*db, db_busy, (void *)path);
	sqlite3_extended_result_codes(*db, 1);
	/* Reading the schema is what tells a database from any other file. */
	if (sqlite3_exec(*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
	    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, sqlite3_errmsg(*db));
		goto out;
	}
	if (db_configure(*db, &why) == -1) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
		goto out;
	}
	if ((mode == DB_READ || mode == DB_READ_EMPTY) &&
	    sqlite3_exec(*db, "PRAGMA query_only = ON",
	    NULL, NULL, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, sqlite3_errmsg(*db));
		goto out;
	}
	if (mode != DB_READ && mode != DB_READ_EMPTY &&
	    sqlite3_db_readonly(*db, "main") == 1) {
		*cause = xasprintf("%s: database file is read-only", path);
		goto out;
	}
	ret = 0;
out:
	if (ret == -1) {
		sqlite3_close(*db);
		*db = NULL;
		db_discard(path, created);
	}
	free(dir);
	free(sqlname);
	return ret;
}

/*
 * After a failed command, take back the database file and folder db_open()
 * created, unless something was committed to it. The connection must be
 * closed first.
 */
void
db_discard(const char *path, const struct db_created *created)
{
	struct stat	 sb;
	char		*dir;

	if (created->file && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size == 0)
		unlink(path);
	if (created->dir) {
		dir = db_dirname(path);
		rmdir(dir);
		free(dir);
	}
}

/* Run SQL text of one or more statements. */
int
db_exec(sqlite3 *db, const char *sql, char **cause)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}

/*
 * Prepare one statement whose text is built with sqlite3_mprintf()'s format:
 * %w for identifiers and %Q for literals; values go in as bound parameters.
 */
int
db_prepare(sqlite3 *db, sqlite3_stmt **stmt, char **cause, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*sql;
	int	 rc;

	*stmt = NULL;
	va_start(ap, fmt);
	sql = db_vmprintf(cause, fmt, ap);
	va_end(ap);
	if (sql == NULL)
		return -1;
	rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK || *stmt == NULL) {
		*cause = rc == SQLITE_OK ? xstrdup("no SQL statement to run") :
		    db_error(db);
		sqlite3_finalize(*stmt);
		*stmt = NULL;
		return -1;
	}
	return 0;
}

/*
 * Whether the query, built like db_prepare()'s with value bound to ?1, finds
 * a row.
 */
int
db_exists(sqlite3 *db, const char *value, int *exists, char **cause,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	char		*sql;
	int		 rc;

	va_start(ap, fmt);
	sql = db_vmprintf(cause, fmt, ap);
	va_end(ap);
	if (sql == NULL)
		return -1;
	rc = db_prepare(db, &stmt, cause, "%s", sql);
	sqlite3_free(sql);
	if (rc == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	*exists = rc == SQLITE_ROW;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}

int
db_table_exists(sqlite3 *db, const char *name, int *exists, char **cause)
{
	return db_exists(db, name, exists, cause, "SELECT 1 FROM sqlite_schema "
	    "WHERE type = 'table' AND name = ?1");
}

/*
 * The integer the first column of the query's first row holds. A NULL sql is
 * text sqlite3_mprintf() could not allocate.
 */
int
db_count(sqlite3 *db, const char *sql, long long *n, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*n = 0;
	if (sql == NULL) {
		*cause = xstrdup("out of memory building an SQL statement");
		return -1;
	}
	if (db_prepare(db, &stmt, cause, "%s", sql) == -1)
		return -1;
	rc = sqlite3_step(stmt);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}

/*
 * Copy the schema of from's main database into to: tables, indexes, views and
 * triggers as their CREATE texts say, without rows, without SQLite's own tables
 * and the history table.
 */
int
db_copy_schema(sqlite3 *from, sqlite3 *to, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = -1;

	/*
	 * The table list materialized once: as the inner side of a LEFT JOIN
	 * the pragma would run again for every row of sqlite_schema, each time
	 * listing every table (seconds for thousands of them).
	 */
	if (db_prepare(from, &stmt, cause, "WITH l AS MATERIALIZED (SELECT "
	    "name, type FROM pragma_table_list WHERE schema = 'main') SELECT "
	    "m.sql FROM sqlite_schema AS m LEFT JOIN l ON l.name = m.name "
	    "WHERE m.sql IS NOT NULL AND m.name NOT LIKE 'sqlite\\_%%' ESCAPE "
	    "'\\' AND m.tbl_name <> %Q AND coalesce(l.type, '') <> 'shadow' "
	    "ORDER BY CASE m.type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN "
	    "'view' THEN 2 ELSE 3 END, m.rowid", HISTORY_TABLE) == -1)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_exec(to, (const char *)sqlite3_column_text(stmt, 0),
		    NULL, NULL, NULL) != SQLITE_OK) {
			*cause = db_error(to);
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		*cause = db_error(from);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * Copy the database to a new file beside it with VACUUM INTO, named after
 * the time: <path>.<YYYYMMDDHHMMSS>.bak, or with -2, -3... if that exists.
 * *backup is set to its path; the caller frees it.
 */
int
db_backup(sqlite3 *db, const char *path, char **backup, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 stamp[32], *name = NULL;
	int		 i, rc;

	*backup = NULL;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	if (db_prepare(db, &stmt, cause, "VACUUM INTO ?1") == -1)
		return -1;
	for (i = 1; i < 100; i++) {
		free(name);
		name = i == 1 ? xasprintf("%s.%s.bak", path, stamp) :
		    xasprintf("%s.%s-%d.bak", path, stamp, i);
		if (access(name, F_OK) == 0)
			continue;
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE) {
			*cause = xasprintf("%s: cannot write backup: %s", name,
			    sqlite3_errmsg(db));
			free(name);
			return -1;
		}
		*backup = name;
		return 0;
	}
	*cause = xasprintf("%s: cannot find a free backup name", path);
	sqlite3_finalize(stmt);
	free(name);
	return -1;
}
