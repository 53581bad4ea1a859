/*
 * Running a plan. Each revision runs in its own transaction, begun with BEGIN
 * IMMEDIATE, together with the history row that records it, so that it is
 * applied wholly or not at all, even if the process is killed (or the whole
 * plan in one, when asked). Once the write lock is held the runner reads the
 * history again, so two runs started together apply each revision once.
 * Foreign keys are off during a run, so table rebuilds never cascade, and
 * checked before each commit.
 *
 * SQLite itself splits a section into statements (sqlite3_prepare_v2's tail,
 * as sqlite3_exec does) and, through an authorizer, says what each would do:
 * that is how a revision is kept from managing transactions, attaching
 * databases, changing the connection or touching the history table, and how
 * a rebuild's copy is recognised to show its progress. Before the first of
 * several revisions commits, the plan is run on an in-memory copy of the
 * schema, so that a revision refused or broken further on stops the run
 * before anything is applied.
 */
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exodb.h"

/*
 * PRAGMA foreign_key_check before each commit, counting only what the
 * revision broke: rows that broke a foreign key before it began (common where
 * the application runs with foreign keys off) are counted first, per child
 * table, parent and key, and only more of them fail the revision.
 */
#define FK_COUNTS "SELECT \"table\", parent, fkid, count(*) AS n " \
	"FROM pragma_foreign_key_check GROUP BY 1, 2, 3"
#define FK_BEFORE "DROP TABLE IF EXISTS temp.exodb_fk_before;\n" \
	"CREATE TEMP TABLE exodb_fk_before AS " FK_COUNTS ";\n"
#define FK_NEW "SELECT a.\"table\", a.parent, a.n - coalesce(b.n, 0) " \
	"FROM (" FK_COUNTS ") AS a LEFT JOIN temp.exodb_fk_before AS b " \
	"ON b.\"table\" = a.\"table\" AND b.parent = a.parent AND " \
	"b.fkid = a.fkid WHERE a.n > coalesce(b.n, 0)"
/*
 * A foreign key is written with REFERENCES: a cheap test, never missing one,
 * of the schema when a run begins and of each statement that creates or
 * alters a table.
 */
#define FK_ANY "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE " \
	"type = 'table' AND sql LIKE '%references%')"
#define FK_WORD "references"

/*
 * The same check in a script for the sqlite3 shell, which cannot look at a
 * result and stop: a temporary trigger raises an error when the check finds
 * a row, and .bail ends the script there.
 */
#define SCRIPT_FK_SETUP \
	"CREATE TEMP TABLE exodb_fk_check (x);\n" \
	"CREATE TEMP TABLE exodb_fk_before (\"table\", parent, fkid, n);\n" \
	"CREATE TEMP TRIGGER exodb_fk_check BEFORE INSERT ON exodb_fk_check\n" \
	"WHEN EXISTS (" FK_NEW ")\n" \
	"BEGIN SELECT RAISE(ABORT, 'foreign key check failed'); END;\n"
#define SCRIPT_FK_BEFORE "DELETE FROM temp.exodb_fk_before;\n" \
	"INSERT INTO temp.exodb_fk_before " FK_COUNTS ";\n"
#define SCRIPT_FK_CHECK "INSERT INTO temp.exodb_fk_check VALUES (1);\n"

/* Rows of a rebuild's copy between two progress reports. */
#define COPY_STEP	4096

/*
 * PRAGMAs a revision may run: queries that change nothing, and settings that
 * touch neither the connection's safety nor durability. Every other PRAGMA
 * (journal_mode, synchronous, locking_mode, writable_schema, foreign_keys...)
 * is refused.
 */
static const char *migrate_pragmas[] = {
	"application_id", "collation_list", "compile_options", "data_version",
	"database_list", "defer_foreign_keys", "foreign_key_check",
	"foreign_key_list", "function_list", "index_info", "index_list",
	"index_xinfo", "integrity_check", "legacy_alter_table", "module_list",
	"pragma_list", "quick_check", "table_info", "table_list",
	"table_xinfo", "user_version",
};

/*
 * What the authorizer learns while a revision's statement is prepared and
 * runs: whether it was refused (and why), and whether it is a rebuild's copy,
 * an INSERT into exodb_new_T that reads T and nothing else.
 */
struct migrate_guard {
	int		 armed;
	int		 preparing;
	char		*refused;
	char		*into;		/* the one table inserted into */
	char		*source;	/* the one table read */
	int		 inserts;
	int		 other_reads;
	char		*table;		/* a table created or altered */
	char		*made;		/* a trigger or view created... */
	const char	*made_type;
	char		*made_db;	/* ...in this database */
};

/* One run of a plan, on the database or on its in-memory copy. */
struct migrate_run {
	sqlite3				*db;
	const struct plan		*plan;
	const struct migrate_hooks	*hooks;		/* NULL on the copy */
	struct migrate_guard		 guard;
	int				 dry;		/* on the copy */
	int				 one;	/* one transaction: the
						   history rows at its end */
	int				 refused;	/* it failed for that */
	int				 history_ready;
	int				 has_fk;
	struct history			*h;	/* read in the lock, if one */
};

/* Progress of a rebuild's copy, read from the statement's own counters. */
struct migrate_copy {
	const struct migrate_hooks	*hooks;
	sqlite3_stmt			*stmt;
	const char			*table;
	long long			 done;
	long long			 total;
	struct timespec			 start;
	int				 shown;
};

static int
migrate_pragma_allowed(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof migrate_pragmas / sizeof migrate_pragmas[0];
	    i++) {
		if (strcasecmp(name, migrate_pragmas[i]) == 0)
			return 1;
	}
	return 0;
}

/* The refusal for an authorizer action, or NULL to allow it; caller frees. */
static char *
migrate_refusal(int action, const char *a1, const char *a2)
{
	static const char *why = "exodb runs each revision in its own "
	    "transaction";
	const char	*verb;

	switch (action) {
	case SQLITE_TRANSACTION:
		return xasprintf("%s is not allowed in a revision: %s", a1, why);
	case SQLITE_SAVEPOINT:
		verb = strcmp(a1, "BEGIN") == 0 ? "SAVEPOINT" :
		    strcmp(a1, "RELEASE") == 0 ? "RELEASE" : "ROLLBACK TO";
		return xasprintf("%s is not allowed in a revision: %s", verb,
		    why);
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		return xasprintf("%s is not allowed in a revision: it changes "
		    "the connection", action == SQLITE_ATTACH ? "ATTACH" :
		    "DETACH");
	case SQLITE_PRAGMA:
		if (migrate_pragma_allowed(a1))
			return NULL;
		return xasprintf("PRAGMA %s is not allowed in a revision: it "
		    "changes the connection or its durability", a1);
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
	case SQLITE_DROP_TABLE:
	case SQLITE_ALTER_TABLE:
		break;
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TRIGGER:
		/* The table is the second argument. */
		a1 = a2;
		break;
	default:
		return NULL;
	}
	/* ALTER TABLE names its database first and its table second. */
	if (action == SQLITE_ALTER_TABLE)
		a1 = a2;
	if (a1 == NULL || strcasecmp(a1, HISTORY_TABLE) != 0)
		return NULL;
	return xstrdup("revisions must not touch the history table "
	    HISTORY_TABLE);
}

/*
 * Note what a statement being prepared inserts into and reads, and the
 * table, trigger or view it creates.
 */
static void
migrate_watch(struct migrate_guard *g, int action, const char *a1,
    const char *a2, const char *dbname, const char *trigger)
{
	if (!g->preparing || trigger != NULL)
		return;
	if ((action == SQLITE_CREATE_TABLE || action == SQLITE_ALTER_TABLE) &&
	    g->table == NULL)
		g->table = xstrdup(action == SQLITE_ALTER_TABLE ? a2 : a1);
	if ((action == SQLITE_CREATE_TRIGGER || action == SQLITE_CREATE_VIEW ||
	    action == SQLITE_CREATE_TEMP_TRIGGER ||
	    action == SQLITE_CREATE_TEMP_VIEW) && g->made == NULL) {
		g->made = xstrdup(a1);
		g->made_type = action == SQLITE_CREATE_VIEW ||
		    action == SQLITE_CREATE_TEMP_VIEW ? "view" : "trigger";
		g->made_db = xstrdup(dbname != NULL ? dbname : "main");
	}
	if (action == SQLITE_INSERT && g->inserts++ == 0)
		g->into = xstrdup(a1);
	/* A CHECK on the new table reads it: that is not a second source. */
	if (action != SQLITE_READ || (g->into != NULL &&
	    strcasecmp(a1, g->into) == 0))
		return;
	if (g->source == NULL)
		g->source = xstrdup(a1);
	else if (strcasecmp(g->source, a1) != 0)
		g->other_reads = 1;
}

static int
migrate_authorize(void *arg, int action, const char *a1, const char *a2,
    const char *dbname, const char *trigger)
{
	struct migrate_guard	*g = arg;
	char			*why;

	if (!g->armed)
		return SQLITE_OK;
	if ((why = migrate_refusal(action, a1, a2)) != NULL) {
		if (g->refused == NULL)
			g->refused = why;
		else
			free(why);
		return SQLITE_DENY;
	}
	migrate_watch(g, action, a1, a2, dbname, trigger);
	return SQLITE_OK;
}

static void
migrate_guard_reset(struct migrate_guard *g)
{
	free(g->refused);
	free(g->into);
	free(g->source);
	free(g->table);
	free(g->made);
	free(g->made_db);
	memset(g, 0, sizeof *g);
}

/* The table a rebuild's copy reads, or NULL if the statement is not one. */
static const char *
migrate_copy_source(const struct migrate_guard *g)
{
	size_t	n = strlen(REBUILD_PREFIX);

	if (g->inserts != 1 || g->source == NULL || g->other_reads ||
	    strncmp(g->into, REBUILD_PREFIX, n) != 0 ||
	    strcasecmp(g->into + n, g->source) != 0)
		return NULL;
	return g->source;
}

/* Skip spaces, comments and empty statements, counting lines. */
static const char *
migrate_skip(const char *p, unsigned *line)
{
	for (;;) {
		if (*p == '\n')
			(*line)++;
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v' || *p == ';')
			p++;
		else if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' &&
			    p[1] == '/'); p++) {
				if (*p == '\n')
					(*line)++;
			}
			p += *p != '\0' ? 2 : 0;
		} else
			return p;
	}
}

/* The lines from p to end. */
static unsigned
migrate_lines(const char *p, const char *end)
{
	unsigned	n = 0;

	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

/* Called by SQLite every so many instructions of a rebuild's copy. */
static int
migrate_copy_tick(void *arg)
{
	struct migrate_copy	*mc = arg;
	struct timespec		 now;
	long long		 done;

	/* A full scan steps from its first row: rows read are one more. */
	done = sqlite3_stmt_status(mc->stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP,
	    0) + 1;
	if (done > mc->total)
		done = mc->total;
	if (done / COPY_STEP == mc->done / COPY_STEP) {
		mc->done = done;
		return 0;
	}
	mc->done = done;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - mc->start.tv_sec) * 1000 +
	    (now.tv_nsec - mc->start.tv_nsec) / 1000000 >=
	    mc->hooks->progress_after_ms) {
		mc->shown = 1;
		mc->hooks->progress(mc->table, done, mc->total, 0,
		    mc->hooks->arg);
	}
	return 0;
}

/* Step a prepared statement to its end; a rebuild's copy with progress. */
static int
migrate_step(struct migrate_run *run, sqlite3_stmt *stmt, const char *table,
    char **cause)
{
	struct migrate_copy	 mc;
	char			*count;
	int			 rc;

	memset(&mc, 0, sizeof mc);
	if (table != NULL) {
		count = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
		run->guard.armed = 0;
		rc = db_count(run->db, count, &mc.total, cause);
		run->guard.armed = 1;
		sqlite3_free(count);
		if (rc == -1)
			return -1;
		mc.hooks = run->hooks;
		mc.stmt = stmt;
		mc.table = table;
		clock_gettime(CLOCK_MONOTONIC, &mc.start);
		sqlite3_progress_handler(run->db, 1000, migrate_copy_tick, &mc);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (table != NULL) {
		sqlite3_progress_handler(run->db, 0, NULL, NULL);
		if (mc.shown)
			run->hooks->progress(table, rc == SQLITE_DONE ?
			    mc.total : mc.done, mc.total, 1, run->hooks->arg);
	}
	if (rc != SQLITE_DONE) {
		*cause = run->guard.refused != NULL ?
		    xstrdup(run->guard.refused) : db_error(run->db);
		return -1;
	}
	return 0;
}

/*
 * After the statement sql ran: refuse a trigger or view it made that names
 * the history table (SQLite authorizes their bodies only when they are
 * used), and note a foreign key on a table it made or altered.
 */
static int
migrate_after(struct migrate_run *run, const char *sql, char **cause)
{
	struct migrate_guard	*g = &run->guard;
	sqlite3_stmt		*stmt = NULL;
	int			 rc, found = 0;

	if (g->made != NULL) {
		if (db_prepare(run->db, &stmt, cause, "SELECT sql FROM "
		    "\"%w\".sqlite_schema WHERE name = ?1", g->made_db) == -1)
			return -1;
		sqlite3_bind_text(stmt, 1, g->made, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			found = lex_mentions((const char *)
			    sqlite3_column_text(stmt, 0), HISTORY_TABLE);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			*cause = db_error(run->db);
			return -1;
		}
		if (found) {
			*cause = xasprintf("revisions must not touch the history "
			    "table " HISTORY_TABLE ": %s %s names it",
			    g->made_type, g->made);
			run->refused = 1;
			return -1;
		}
	}
	if (g->table != NULL && !run->has_fk && !run->dry)
		run->has_fk = strcasestr(sql, FK_WORD) != NULL;
	return 0;
}

/* The statement's text without its semicolon, for the statement hook. */
static void
migrate_echo(const struct migrate_run *run, const struct revision *rev,
    unsigned line, sqlite3_stmt *stmt)
{
	const char	*sql = sqlite3_sql(stmt);
	char		*text;
	size_t		 n = strlen(sql);

	if (run->hooks == NULL || run->hooks->statement == NULL)
		return;
	while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' ||
	    sql[n - 1] == '\t' || sql[n - 1] == '\n'))
		n--;
	text = xstrndup(sql, n);
	run->hooks->statement(rev, line, text, run->hooks->arg);
	free(text);
}

/*
 * Prepare and run the statement at sql, which starts on the given line; *tail
 * is set past it. SQLite names a rebuild's new table in its messages ("NOT
 * NULL constraint failed: exodb_new_users.email"): say the table instead.
 */
static int
migrate_statement(struct migrate_run *run, const struct revision *rev,
    const char *sql, unsigned line, const char **tail, char **cause)
{
	struct migrate_guard	*g = &run->guard;
	sqlite3_stmt		*stmt = NULL;
	const char		*table = NULL;
	char			*why = NULL, *p;
	size_t			 n = strlen(REBUILD_PREFIX);
	int			 off, ret = -1;

	migrate_guard_reset(g);
	g->armed = g->preparing = 1;
	if (sqlite3_prepare_v2(run->db, sql, -1, &stmt, tail) != SQLITE_OK) {
		off = sqlite3_error_offset(run->db);
		if (off >= 0)
			line += migrate_lines(sql, sql + off);
		why = g->refused != NULL ? xstrdup(g->refused) :
		    db_error(run->db);
		run->refused = g->refused != NULL;
		goto out;
	}
	g->preparing = 0;
	if (stmt == NULL) {
		ret = 0;
		goto out;
	}
	if (run->hooks != NULL && run->hooks->progress != NULL)
		table = migrate_copy_source(g);
	migrate_echo(run, rev, line, stmt);
	if (migrate_step(run, stmt, table, &why) == -1) {
		run->refused = g->refused != NULL;
		goto out;
	}
	if (sqlite3_get_autocommit(run->db)) {
		why = xstrdup("the statement ended the transaction");
		goto out;
	}
	g->armed = 0;
	if (migrate_after(run, sqlite3_sql(stmt), &why) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(stmt);
	g->armed = 0;
	if (ret == -1) {
		while ((p = strstr(why, REBUILD_PREFIX)) != NULL)
			memmove(p, p + n, strlen(p + n) + 1);
		/* 'unrecognized token: "'x\n..."' quotes the rest: one line. */
		*cause = xasprintf("%s:%u: %.*s%s", rev->path, line,
		    (int)strcspn(why, "\n"), why, strchr(why, '\n') != NULL ?
		    " ..." : "");
	}
	free(why);
	return ret;
}

/* Run a revision's upgrade or downgrade section, statement by statement. */
static int
migrate_section(struct migrate_run *run, const struct revision *rev,
    char **cause)
{
	const char	*p, *tail;
	unsigned	 line;

	p = revision_sql(rev, DIALECT_SQLITE, run->plan->up, &line);
	for (p = migrate_skip(p, &line); *p != '\0';
	    p = migrate_skip(tail, &line)) {
		if (migrate_statement(run, rev, p, line, &tail, cause) == -1)
			return -1;
		line += migrate_lines(p, tail);
	}
	return 0;
}

/*
 * Count the rows that break a foreign key before the revision runs, into a
 * temporary table; *dirty says whether there were any. Usually there are
 * none, and then nothing needs keeping.
 */
static int
migrate_fk_before(sqlite3 *db, int *dirty, char **cause)
{
	long long	n;

	if (db_count(db, "SELECT EXISTS (SELECT 1 FROM "
	    "pragma_foreign_key_check)", &n, cause) == -1)
		return -1;
	*dirty = n != 0;
	return *dirty ? db_exec(db, FK_BEFORE, cause) : 0;
}

/* Fail, describing it, if the revision made a row break a foreign key. */
static int
migrate_fk_check(sqlite3 *db, int dirty, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	long long	 n;
	int		 rc;

	if (db_prepare(db, &stmt, cause, "%s LIMIT 1", dirty ? FK_NEW :
	    FK_COUNTS) == -1)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		/* FK_NEW has the count third, FK_COUNTS fourth. */
		n = sqlite3_column_int64(stmt, dirty ? 2 : 3);
		*cause = xasprintf("foreign key check failed: %lld row%s of %s "
		    "refer%s to missing rows of %s", n, n == 1 ? "" : "s",
		    (const char *)sqlite3_column_text(stmt, 0), n == 1 ? "s" :
		    "", (const char *)sqlite3_column_text(stmt, 1));
	} else if (rc != SQLITE_DONE)
		*cause = db_error(db);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Whether the schema may have a foreign key (see FK_ANY). */
static int
migrate_has_fk(sqlite3 *db, int *has, char **cause)
{
	long long	n;

	if (db_count(db, FK_ANY, &n, cause) == -1)
		return -1;
	*has = n != 0;
	return 0;
}

/*
 * Run one revision inside the open transaction, with its history row.
 * Returns 1 when it ran, 0 when it was already done (another process did it),
 * -1 on failure.
 */
static int
migrate_revision(struct migrate_run *run, const struct revision *rev,
    char **cause)
{
	char	*why = NULL;
	int	 applied, dirty = 0, had_fk = run->has_fk;

	if (!run->history_ready && db_exec(run->db, HISTORY_DDL, &why) == -1)
		goto fail;
	if (run->h != NULL)
		applied = history_row(run->h, rev->id) != NULL;
	else if (history_has(run->db, rev->id, &applied, &why) == -1)
		goto fail;
	run->history_ready = 1;
	if (applied == run->plan->up)
		return 0;
	if (had_fk && migrate_fk_before(run->db, &dirty, &why) == -1)
		goto fail;
	if (migrate_section(run, rev, cause) == -1)
		return -1;
	if (run->has_fk && migrate_fk_check(run->db, dirty, &why) == -1)
		goto fail;
	if (!run->one && history_set(run->db, rev->id, run->plan->up ?
	    rev->checksum : NULL, &why) == -1)
		goto fail;
	return 1;
fail:
	*cause = xasprintf("%s: %s", rev->path, why);
	free(why);
	return -1;
}

/* Begin the transaction a revision (or a whole plan) runs in. */
static int
migrate_begin(sqlite3 *db, const char *what, char **cause)
{
	char	*why = NULL;

	if (db_exec(db, "PRAGMA foreign_keys = OFF", &why) == -1 ||
	    db_exec(db, "BEGIN IMMEDIATE", &why) == -1) {
		*cause = xasprintf("%s: cannot start: %s", what, why);
		free(why);
		return -1;
	}
	return 0;
}

static int
migrate_commit(sqlite3 *db, const char *what, char **cause)
{
	char	*why = NULL;

	if (db_exec(db, "COMMIT", &why) == -1) {
		*cause = xasprintf("%s: %s", what, why);
		free(why);
		return -1;
	}
	return 0;
}

static void
migrate_done(const struct migrate_run *run, const struct revision *rev)
{
	if (run->hooks != NULL && run->hooks->done != NULL)
		run->hooks->done(rev, run->plan->up, run->hooks->arg);
}

/* Write the history rows of the revisions ran[] marks, in one statement. */
static int
migrate_history(struct migrate_run *run, const int *ran, const char *what,
    char **cause)
{
	char	*why = NULL;

	if (history_set_many(run->db, run->plan->revs, ran, run->plan->nrevs,
	    run->plan->up, &why) == -1) {
		*cause = xasprintf("%s: %s", what, why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * Run the plan: each revision in its own transaction, or all in one with
 * MIGRATE_SINGLE, or all in one rolled back at the end with MIGRATE_DRY.
 * Returns how many revisions ran, or -1.
 */
static int
migrate_run(struct migrate_run *run, int flags, char **cause)
{
	const struct plan	*plan = run->plan;
	const char		*first;
	size_t			 i;
	int			*ran, rc, done = 0, ret = -1, one, ready;

	one = run->one = (flags & (MIGRATE_SINGLE | MIGRATE_DRY)) != 0;
	first = plan->nrevs > 0 ? plan->revs[0]->path : "";
	ran = xcalloc(plan->nrevs + 1, sizeof *ran);
	/* The copy's rows are not the database's: no foreign key check. */
	if ((!run->dry && migrate_has_fk(run->db, &run->has_fk, cause) == -1) ||
	    db_table_exists(run->db, HISTORY_TABLE, &run->history_ready,
	    cause) == -1)
		goto out;
	sqlite3_set_authorizer(run->db, migrate_authorize, &run->guard);
	/* In one transaction the lock is held throughout: one read will do. */
	if (one && (migrate_begin(run->db, first, cause) == -1 ||
	    history_read(run->db, &run->h, cause) == -1))
		goto out;
	for (i = 0; i < plan->nrevs; i++) {
		if (!one && migrate_begin(run->db, plan->revs[i]->path,
		    cause) == -1)
			goto out;
		ready = run->history_ready;
		if ((rc = migrate_revision(run, plan->revs[i], cause)) == -1)
			goto out;
		ran[i] = rc;
		/* Nothing to do: what it began (the history table) is undone. */
		if (!one && rc == 0) {
			db_rollback(run->db);
			run->history_ready = ready;
		} else if (!one && migrate_commit(run->db, plan->revs[i]->path,
		    cause) == -1)
			goto out;
		if (!one && rc == 1)
			migrate_done(run, plan->revs[i]);
		done += rc;
	}
	/*
	 * Revisions never read the history: their rows can wait till now
	 * (and the copy's, rolled back, need not be written at all).
	 */
	if (one && !run->dry && migrate_history(run, ran, first, cause) == -1)
		goto out;
	if ((flags & MIGRATE_SINGLE) && migrate_commit(run->db, first,
	    cause) == -1)
		goto out;
	for (i = 0; (flags & MIGRATE_SINGLE) && i < plan->nrevs; i++) {
		if (ran[i])
			migrate_done(run, plan->revs[i]);
	}
	ret = done;
out:
	db_rollback(run->db);
	sqlite3_set_authorizer(run->db, NULL, NULL);
	migrate_guard_reset(&run->guard);
	history_free(run->h);
	run->h = NULL;
	free(ran);
	return ret;
}

/* Copy db's history rows into scratch's (empty) history table. */
static int
migrate_copy_history(sqlite3 *db, sqlite3 *scratch, char **cause)
{
	struct history	*h = NULL;
	sqlite3_stmt	*stmt = NULL;
	size_t		 i;
	int		 ret = -1;

	if (history_read(db, &h, cause) == -1 ||
	    db_prepare(scratch, &stmt, cause, "INSERT INTO %s VALUES (?1, ?2, "
	    "?3)", HISTORY_TABLE) == -1)
		goto out;
	for (i = 0; i < h->nrows; i++) {
		sqlite3_bind_text(stmt, 1, h->rows[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, h->rows[i].checksum, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, h->rows[i].applied_at, -1,
		    SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			*cause = db_error(scratch);
			goto out;
		}
		sqlite3_reset(stmt);
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	history_free(h);
	return ret;
}

/*
 * Run the plan on an in-memory copy of db's schema and history, as one
 * transaction that is then rolled back: a statement refused, a syntax error
 * or a missing table in any revision fails here, naming its file and line,
 * before anything is done to db. With MIGRATE_REFUSALS only a statement
 * refused fails the check, and the check stops at any other error (a script
 * stops there too).
 */
int
migrate_check(sqlite3 *db, const struct plan *plan, int flags, char **cause)
{
	struct migrate_run	 run;
	sqlite3			*scratch = NULL;
	char			*why = NULL;
	int			 ret = -1;

	if (plan_check_dialect(plan, DIALECT_SQLITE, cause) == -1)
		return -1;
	if (sqlite3_open_v2(":memory:", &scratch, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK) {
		*cause = xstrdup("cannot open an in-memory database");
		goto out;
	}
	/* One read transaction: the schema and history seen together. */
	if (db_exec(scratch, HISTORY_DDL, &why) == -1 ||
	    db_exec(db, "BEGIN", &why) == -1 ||
	    db_copy_schema(db, scratch, &why) == -1 ||
	    migrate_copy_history(db, scratch, &why) == -1) {
		*cause = xasprintf("cannot copy the schema to check the plan: "
		    "%s", why);
		free(why);
		db_rollback(db);
		goto out;
	}
	db_rollback(db);
	memset(&run, 0, sizeof run);
	run.db = scratch;
	run.plan = plan;
	run.dry = 1;
	if (migrate_run(&run, MIGRATE_DRY, &why) == -1 && (run.refused ||
	    !(flags & MIGRATE_REFUSALS))) {
		*cause = why;
		goto out;
	}
	free(why);
	ret = 0;
out:
	sqlite3_close(scratch);
	return ret;
}

/*
 * Replay a plan on db, a throwaway in-memory database, in one transaction
 * that is committed: through the same guard as migrate_apply(), so that a
 * revision the runner would refuse fails here too, naming its file and line,
 * but without what only a real database needs: its rows are the revisions'
 * own, so no foreign key check, and nobody reads its history, so no rows
 * there. Returns how many revisions ran, or -1.
 */
int
migrate_replay(sqlite3 *db, const struct plan *plan, char **cause)
{
	struct migrate_run	run;

	/* A revision written for PostgreSQL alone has nothing to replay. */
	if (plan_check_dialect(plan, DIALECT_SQLITE, cause) == -1)
		return -1;
	memset(&run, 0, sizeof run);
	run.db = db;
	run.plan = plan;
	run.dry = 1;
	return migrate_run(&run, MIGRATE_SINGLE, cause);
}

/*
 * Run a plan. A plan of several revisions in several transactions is checked
 * first (migrate_check). Returns how many revisions this process ran (another
 * process may have run some), or -1 on failure; without MIGRATE_SINGLE those
 * run before a failure stay done.
 */
int
migrate_apply(sqlite3 *db, const struct plan *plan, int flags,
    const struct migrate_hooks *hooks, char **cause)
{
	struct migrate_run	run;

	if (plan_check_dialect(plan, DIALECT_SQLITE, cause) == -1)
		return -1;
	if (plan->nrevs > 1 && !(flags & MIGRATE_SINGLE) &&
	    migrate_check(db, plan, 0, cause) == -1)
		return -1;
	memset(&run, 0, sizeof run);
	run.db = db;
	run.plan = plan;
	run.hooks = hooks;
	return migrate_run(&run, flags & MIGRATE_SINGLE, cause);
}

/* A section as written, ended so that the next statement can follow. */
static void
migrate_script_section(sqlite3_str *s, const char *sql)
{
	unsigned	line = 0;
	size_t		n = strlen(sql);

	if (*migrate_skip(sql, &line) == '\0')
		return;
	sqlite3_str_appendall(s, sql);
	if (n > 0 && sql[n - 1] != '\n')
		sqlite3_str_appendchar(s, 1, '\n');
	if (!sqlite3_complete(sql))
		sqlite3_str_appendall(s, ";\n");
}

/*
 * The SQL script a plan would run, for the sqlite3 shell: the same
 * transactions (one with MIGRATE_SINGLE), statements and history rows as
 * migrate_apply(). The shell stops at the first error (.bail), so a failing
 * revision is rolled back as the runner would. The caller frees the result.
 */
int
migrate_script(const struct plan *plan, int flags, char **out, char **cause)
{
	const struct revision	*rev;
	sqlite3_str		*s;
	size_t			 i;
	int			 one = (flags & MIGRATE_SINGLE) != 0;

	if (plan_check_dialect(plan, DIALECT_SQLITE, cause) == -1)
		return -1;
	s = sqlite3_str_new(NULL);
	/* SQLite's printf knows %lld, not %zu. */
	sqlite3_str_appendf(s, "-- exodb %s script: %lld revision%s%s, for "
	    "the sqlite3 shell\n.bail on\nPRAGMA foreign_keys = OFF;\n%s",
	    plan->up ? "upgrade" : "downgrade", (long long)plan->nrevs,
	    plan->nrevs == 1 ? "" : "s", one ? " in one transaction" : "",
	    SCRIPT_FK_SETUP);
	if (one)
		sqlite3_str_appendf(s, "BEGIN IMMEDIATE;\n%s;\n", HISTORY_DDL);
	for (i = 0; i < plan->nrevs; i++) {
		rev = plan->revs[i];
		sqlite3_str_appendf(s, "\n-- %s %s: %s\n",
		    plan->up ? "upgrade" : "downgrade", rev->id, rev->message);
		if (!one)
			sqlite3_str_appendall(s, "BEGIN IMMEDIATE;\n");
		if (!one && i == 0)
			sqlite3_str_appendf(s, "%s;\n", HISTORY_DDL);
		sqlite3_str_appendall(s, SCRIPT_FK_BEFORE);
		migrate_script_section(s, revision_sql(rev, DIALECT_SQLITE,
		    plan->up, NULL));
		sqlite3_str_appendall(s, SCRIPT_FK_CHECK);
		if (plan->up)
			sqlite3_str_appendf(s, "INSERT INTO %s (id, checksum, "
			    "applied_at) VALUES (%Q, %Q, %s);\n", HISTORY_TABLE,
			    rev->id, rev->checksum, HISTORY_NOW);
		else
			sqlite3_str_appendf(s, "DELETE FROM %s WHERE id = %Q;\n",
			    HISTORY_TABLE, rev->id);
		if (!one)
			sqlite3_str_appendall(s, "COMMIT;\n");
	}
	if (one)
		sqlite3_str_appendall(s, "\nCOMMIT;\n");
	*out = xstr_finish(s);
	return 0;
}
