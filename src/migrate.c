/*
 * Applying and reverting revisions. Each revision runs in its own transaction,
 * begun with BEGIN IMMEDIATE, together with the history row that records it,
 * so that it is applied wholly or not at all, even if the process is killed.
 * Once the write lock is held the runner reads the history again, so two runs
 * started together apply each revision once. Foreign keys are off during a
 * run, so table rebuilds never cascade, and checked before each commit.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exodb.h"

#define HISTORY_DDL "CREATE TABLE IF NOT EXISTS " HISTORY_TABLE " (\n" \
	"\tid TEXT PRIMARY KEY,\n" \
	"\tchecksum TEXT NOT NULL,\n" \
	"\tapplied_at TEXT NOT NULL\n" \
	")"
#define HISTORY_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

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

void
migrate_history_free(struct history *h)
{
	size_t	i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nrows; i++) {
		free(h->rows[i].id);
		free(h->rows[i].checksum);
		free(h->rows[i].applied_at);
	}
	free(h->rows);
	free(h->byid);
	free(h);
}

static int
migrate_compare_rows(const void *a, const void *b)
{
	return strcmp((*(struct history_row *const *)a)->id,
	    (*(struct history_row *const *)b)->id);
}

/* The history table's rows, oldest first; none when it does not exist. */
int
migrate_history(sqlite3 *db, struct history **out, char **cause)
{
	struct history		*h;
	struct history_row	*row;
	sqlite3_stmt		*stmt = NULL;
	size_t			 i;
	int			 exists, rc;

	*out = NULL;
	if (db_table_exists(db, HISTORY_TABLE, &exists, cause) == -1)
		return -1;
	h = xcalloc(1, sizeof *h);
	if (!exists) {
		*out = h;
		return 0;
	}
	if (db_prepare(db, &stmt, cause, "SELECT id, checksum, applied_at FROM "
	    "%s ORDER BY applied_at, id", HISTORY_TABLE) == -1) {
		migrate_history_free(h);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_type(stmt, 0) == SQLITE_NULL ||
		    sqlite3_column_type(stmt, 1) == SQLITE_NULL ||
		    sqlite3_column_type(stmt, 2) == SQLITE_NULL) {
			*cause = xasprintf("%s: a row holds NULL; the table was "
			    "changed by hand", HISTORY_TABLE);
			sqlite3_finalize(stmt);
			migrate_history_free(h);
			return -1;
		}
		h->rows = xreallocarray(h->rows, h->nrows + 1, sizeof *h->rows);
		row = &h->rows[h->nrows++];
		row->id = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		row->checksum = xstrdup((const char *)
		    sqlite3_column_text(stmt, 1));
		row->applied_at = xstrdup((const char *)
		    sqlite3_column_text(stmt, 2));
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", HISTORY_TABLE, sqlite3_errmsg(db));
		migrate_history_free(h);
		return -1;
	}
	/* An index by id, for migrate_applied(). */
	h->byid = xcalloc(h->nrows, sizeof *h->byid);
	for (i = 0; i < h->nrows; i++)
		h->byid[i] = &h->rows[i];
	qsort(h->byid, h->nrows, sizeof *h->byid, migrate_compare_rows);
	*out = h;
	return 0;
}

/*
 * The history row recording revision id, or NULL when it is not applied: a
 * binary search of the index by id.
 */
const struct history_row *
migrate_applied(const struct history *h, const char *id)
{
	size_t	lo = 0, hi = h->nrows, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(id, h->byid[mid]->id)) == 0)
			return h->byid[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * Check that every applied revision's file is still there and unchanged.
 */
int
migrate_verify(const struct repo *repo, const struct history *h, char **cause)
{
	const struct history_row	*row;
	const struct revision		*rev;
	size_t				 i;

	for (i = 0; i < h->nrows; i++) {
		row = &h->rows[i];
		if ((rev = repo_get(repo, row->id)) == NULL) {
			*cause = xasprintf("%s/%s_*.sql: revision %s is applied "
			    "but its file is missing; restore it, or forget it "
			    "with 'exodb db repair'", repo->versions, row->id,
			    row->id);
			return -1;
		}
		if (strcmp(rev->checksum, row->checksum) != 0) {
			*cause = xasprintf("%s: changed since it was applied "
			    "(SHA-256 now %.12s, then %.12s); restore it, or "
			    "accept the edit with 'exodb db repair'", rev->path,
			    rev->checksum, row->checksum);
			return -1;
		}
	}
	return 0;
}

/* Whether every revision of the repository is applied. */
int
migrate_at_head(const struct repo *repo, const struct history *h)
{
	size_t	i;

	for (i = 0; i < repo->nrevs; i++) {
		if (migrate_applied(h, repo->revs[i]->id) == NULL)
			return 0;
	}
	return 1;
}

static int
migrate_step(sqlite3 *db, const char *sql, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*tail;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, &tail) != SQLITE_OK) {
		*cause = db_error(db);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
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

/* Whether the history table holds id, read inside the transaction. */
static int
migrate_is_applied(sqlite3 *db, const char *id, int *applied, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (db_prepare(db, &stmt, cause, "SELECT 1 FROM %s WHERE id = ?1",
	    HISTORY_TABLE) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	*applied = rc == SQLITE_ROW;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}

/*
 * Record id as applied with its checksum (an existing row keeps the time it
 * was applied), or forget it when checksum is NULL.
 */
static int
migrate_set_row(sqlite3 *db, const char *id, const char *checksum,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (checksum != NULL && db_prepare(db, &stmt, cause, "INSERT INTO %s "
	    "(id, checksum, applied_at) VALUES (?1, ?2, %s) ON CONFLICT (id) "
	    "DO UPDATE SET checksum = excluded.checksum", HISTORY_TABLE,
	    HISTORY_NOW) == -1)
		return -1;
	if (checksum == NULL && db_prepare(db, &stmt, cause, "DELETE FROM %s "
	    "WHERE id = ?1", HISTORY_TABLE) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (checksum != NULL)
		sqlite3_bind_text(stmt, 2, checksum, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", HISTORY_TABLE, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int
migrate_record(sqlite3 *db, const struct revision *rev, int up, char **cause)
{
	return migrate_set_row(db, rev->id, up ? rev->checksum : NULL, cause);
}

/*
 * Change the history table alone, in one BEGIN IMMEDIATE transaction: fn
 * makes the changes, reading what it needs inside the lock.
 */
static int
migrate_history_transaction(sqlite3 *db, int (*fn)(sqlite3 *, void *,
    char **), void *arg, char **cause)
{
	char	*why = NULL;

	if (db_exec(db, "BEGIN IMMEDIATE", &why) == -1 ||
	    db_exec(db, HISTORY_DDL, &why) == -1 || fn(db, arg, &why) == -1 ||
	    db_exec(db, "COMMIT", &why) == -1) {
		*cause = why;
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Progress of a rebuild's copy, counted row by row as SQLite reads them. */
struct migrate_copy {
	const struct migrate_hooks	*hooks;
	char				*table;
	long long			 done;
	long long			 total;
	struct timespec			 start;
	int				 shown;
};

static void
migrate_copy_count(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct migrate_copy	*mc = sqlite3_user_data(ctx);
	struct timespec		 now;

	(void)argc;
	(void)argv;
	if ((++mc->done & 4095) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - mc->start.tv_sec) * 1000 +
		    (now.tv_nsec - mc->start.tv_nsec) / 1000000 >=
		    mc->hooks->progress_after_ms) {
			mc->shown = 1;
			mc->hooks->progress(mc->table, mc->done, mc->total, 0,
			    mc->hooks->arg);
		}
	}
	sqlite3_result_int(ctx, 1);
}

/* Skip a parenthesised group whose "(" was just read; 0 if unbalanced. */
static int
migrate_skip_group(struct lex *lx)
{
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;
	int		 depth = 1;

	while (depth > 0 && (t = lex_next_token(lx, &tok, &len)) != LEX_EOF) {
		if (t == LEX_LPAREN)
			depth++;
		else if (t == LEX_RPAREN)
			depth--;
	}
	return depth == 0;
}

/*
 * The table a rebuild copies from, when sql is exactly the shape of the copy
 * render.c writes, "INSERT INTO exodb_new_T (a, ...) SELECT a, f(b, ...), ...
 * FROM T", and nothing else; NULL for any other statement. The caller frees
 * the result.
 */
static char *
migrate_copy_source(const char *sql)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;
	char		*name = NULL;

	lex_init(&lx, sql, strlen(sql), 1);
#define NEXT() (t = lex_next_token(&lx, &tok, &len))
	if (NEXT() != LEX_WORD || !lex_word_is(tok, len, "INSERT") ||
	    NEXT() != LEX_WORD || !lex_word_is(tok, len, "INTO") ||
	    (NEXT() != LEX_WORD && t != LEX_IDENT))
		return NULL;
	name = lex_unquote(tok, len);
	if (strncmp(name, REBUILD_PREFIX, strlen(REBUILD_PREFIX)) != 0 ||
	    NEXT() != LEX_LPAREN || !migrate_skip_group(&lx) ||
	    NEXT() != LEX_WORD || !lex_word_is(tok, len, "SELECT"))
		goto no;
	/* Items: a column, or a function call on columns, comma separated. */
	for (;;) {
		if (NEXT() != LEX_WORD && t != LEX_IDENT)
			goto no;
		if (NEXT() == LEX_LPAREN) {
			if (!migrate_skip_group(&lx))
				goto no;
			NEXT();
		}
		if (t != LEX_COMMA)
			break;
	}
	free(name);
	name = NULL;
	if (t != LEX_WORD || !lex_word_is(tok, len, "FROM") ||
	    (NEXT() != LEX_WORD && t != LEX_IDENT))
		return NULL;
	name = lex_unquote(tok, len);
	if (NEXT() != LEX_EOF)
		goto no;
#undef NEXT
	return name;
no:
	free(name);
	return NULL;
}

/*
 * Run a rebuild's copy counting the rows it reads, so that a long one can
 * show progress: the same statement with a WHERE that is always true.
 */
static int
migrate_copy(sqlite3 *db, const char *sql, char *table,
    const struct migrate_hooks *hooks, char **cause)
{
	struct migrate_copy	 mc;
	long long		 total = 0;
	char			*counted, *count;
	int			 ret;

	count = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
	ret = db_count(db, count, &total, cause);
	sqlite3_free(count);
	if (ret == -1)
		return -1;
	memset(&mc, 0, sizeof mc);
	mc.hooks = hooks;
	mc.table = table;
	mc.total = total;
	clock_gettime(CLOCK_MONOTONIC, &mc.start);
	sqlite3_create_function(db, "exodb_copy_progress", 0, SQLITE_UTF8 |
	    SQLITE_DIRECTONLY, &mc, migrate_copy_count, NULL, NULL);
	counted = xasprintf("%s WHERE exodb_copy_progress()", sql);
	ret = migrate_step(db, counted, cause);
	free(counted);
	sqlite3_create_function(db, "exodb_copy_progress", 0, SQLITE_UTF8,
	    NULL, NULL, NULL, NULL);
	if (mc.shown)
		hooks->progress(table, mc.done, total, 1, hooks->arg);
	return ret;
}

/*
 * Run one statement of a revision; a rebuild's copy with progress when the
 * caller wants it. SQLite names the rebuild's new table in its messages
 * ("NOT NULL constraint failed: exodb_new_users.email"): say the table.
 */
static int
migrate_statement(sqlite3 *db, const char *sql,
    const struct migrate_hooks *hooks, char **cause)
{
	char	*table = NULL, *why = NULL, *p;
	size_t	 n = strlen(REBUILD_PREFIX);
	int	 ret;

	if (hooks != NULL && hooks->progress != NULL &&
	    (table = migrate_copy_source(sql)) != NULL)
		ret = migrate_copy(db, sql, table, hooks, &why);
	else
		ret = migrate_step(db, sql, &why);
	free(table);
	if (ret == -1) {
		while ((p = strstr(why, REBUILD_PREFIX)) != NULL)
			memmove(p, p + n, strlen(p + n) + 1);
		*cause = why;
	}
	return ret;
}

/*
 * Run one revision's upgrade (up) or downgrade section in its own transaction
 * with its history row. The statements were split and checked beforehand.
 * Returns 1 when it ran, 0 when another process had already done it, -1 on
 * failure, after which nothing of it remains.
 */
static int
migrate_run(sqlite3 *db, const struct revision *rev, int up,
    const struct lex_statement *stmts, size_t nstmts,
    const struct migrate_hooks *hooks, char **cause)
{
	char	*why = NULL;
	size_t	 i;
	int	 applied, dirty, ret = -1;

	if (db_exec(db, "PRAGMA foreign_keys = OFF", &why) == -1 ||
	    db_exec(db, "BEGIN IMMEDIATE", &why) == -1) {
		*cause = xasprintf("%s: cannot start: %s", rev->path, why);
		free(why);
		return -1;
	}
	if (db_exec(db, HISTORY_DDL, &why) == -1 ||
	    migrate_is_applied(db, rev->id, &applied, &why) == -1) {
		*cause = xasprintf("%s: %s", rev->path, why);
		goto out;
	}
	if (applied == up) {
		ret = 0;
		goto out;
	}
	if (migrate_fk_before(db, &dirty, &why) == -1) {
		*cause = xasprintf("%s: %s", rev->path, why);
		goto out;
	}
	for (i = 0; i < nstmts; i++) {
		if (hooks != NULL && hooks->statement != NULL)
			hooks->statement(rev, stmts[i].line, stmts[i].sql,
			    hooks->arg);
		if (migrate_statement(db, stmts[i].sql, hooks, &why) == -1) {
			*cause = xasprintf("%s:%u: %s", rev->path,
			    stmts[i].line, why);
			goto out;
		}
		if (sqlite3_get_autocommit(db)) {
			*cause = xasprintf("%s:%u: the statement ended the "
			    "transaction", rev->path, stmts[i].line);
			goto out;
		}
	}
	if (migrate_fk_check(db, dirty, &why) == -1) {
		*cause = xasprintf("%s: %s", rev->path, why);
		goto out;
	}
	if (migrate_record(db, rev, up, &why) == -1 ||
	    db_exec(db, "COMMIT", &why) == -1) {
		*cause = xasprintf("%s: %s", rev->path, why);
		goto out;
	}
	ret = 1;
out:
	free(why);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

void
migrate_plan_free(struct migrate_plan *plan)
{
	if (plan == NULL)
		return;
	free(plan->revs);
	free(plan);
}

static int
migrate_count(const char *spec, long *n)
{
	char	*end;

	*n = strtol(spec + 1, &end, 10);
	return *end == '\0' && *n > 0 && spec[1] >= '0' && spec[1] <= '9';
}

/*
 * The revisions a database at target has: all for "head", none for "base",
 * else the revision an id or prefix names (set in *rev) and its ancestors.
 * want[i] is set for repo->revs[i]. allow adds the spellings the caller has
 * handled already, for the message.
 */
static int
migrate_want(const struct repo *repo, const char *target, int allow,
    int *want, struct revision **rev, char **cause)
{
	struct repo_target	t;
	size_t			i;

	*rev = NULL;
	if (repo_resolve(repo, NULL, target, REPO_ID | REPO_HEAD | REPO_BASE |
	    allow, &t, cause) == -1)
		return -1;
	if (t.kind == REPO_HEAD) {
		for (i = 0; i < repo->nrevs; i++)
			want[i] = 1;
	} else if (t.kind == REPO_ID) {
		*rev = t.revs[0];
		repo_ancestors(*rev, want);
	}
	free(t.revs);
	return 0;
}

/* Whether every parent of rev is applied or about to be. */
static int
migrate_ready(const struct revision *rev, const int *applied)
{
	size_t	i;

	for (i = 0; i < rev->nparents; i++) {
		if (!applied[rev->parent_revs[i]->order])
			return 0;
	}
	return 1;
}

/* Whether rev has an applied child. */
static int
migrate_has_applied_child(const struct repo *repo, const struct revision *rev,
    const int *applied)
{
	size_t	i;

	(void)repo;
	for (i = 0; i < rev->nchildren; i++) {
		if (applied[rev->children[i]->order])
			return 1;
	}
	return 0;
}

/*
 * The revisions an upgrade (up) or downgrade to target would run, in the
 * order they run: TARGET is an id or unique prefix, "head", "base", "+N"
 * (upgrade only) or "-N" (downgrade only). An upgrade only applies and a
 * downgrade only reverts. On success the caller frees *out with
 * migrate_plan_free().
 */
int
migrate_plan(const struct repo *repo, const struct history *h,
    const char *target, int up, struct migrate_plan **out, char **cause)
{
	struct migrate_plan	*plan;
	struct revision		*rev;
	int			*applied = NULL, *want = NULL;
	size_t			 i, k;
	long			 n;
	int			 ret = -1;

	*out = NULL;
	plan = xcalloc(1, sizeof *plan);
	plan->revs = xcalloc(repo->nrevs, sizeof *plan->revs);
	applied = xcalloc(repo->nrevs, sizeof *applied);
	want = xcalloc(repo->nrevs, sizeof *want);
	for (i = 0; i < repo->nrevs; i++)
		applied[i] = migrate_applied(h, repo->revs[i]->id) != NULL;

	if ((target[0] == '+' || target[0] == '-') &&
	    !migrate_count(target, &n)) {
		*cause = xasprintf("'%s': a relative target is +N or -N with N "
		    "at least 1", target);
		goto out;
	}
	if (target[0] == '+' && !up) {
		*cause = xasprintf("'%s': downgrade goes back: use -N", target);
		goto out;
	}
	if (target[0] == '-' && up) {
		*cause = xasprintf("'%s': upgrade goes forward: use +N", target);
		goto out;
	}
	if (target[0] == '+') {
		/* The next N pending revisions whose parents are applied. */
		for (k = 0; k < (size_t)n; k++) {
			for (i = 0; i < repo->nrevs; i++) {
				if (!applied[i] &&
				    migrate_ready(repo->revs[i], applied))
					break;
			}
			if (i == repo->nrevs) {
				*cause = xasprintf("'%s': only %zu revision%s "
				    "pending; that is past head", target, k,
				    k == 1 ? "" : "s");
				goto out;
			}
			applied[i] = 1;
			plan->revs[plan->nrevs++] = repo->revs[i];
		}
		ret = 0;
		goto out;
	}
	if (target[0] == '-') {
		/* The last N applied revisions no applied revision needs. */
		for (k = 0; k < (size_t)n; k++) {
			for (i = repo->nrevs; i > 0; i--) {
				if (applied[i - 1] && !migrate_has_applied_child(
				    repo, repo->revs[i - 1], applied))
					break;
			}
			if (i == 0) {
				*cause = xasprintf("'%s': only %zu revision%s "
				    "applied; that is below base", target, k,
				    k == 1 ? "" : "s");
				goto out;
			}
			applied[i - 1] = 0;
			plan->revs[plan->nrevs++] = repo->revs[i - 1];
		}
		ret = 0;
		goto out;
	}
	if (migrate_want(repo, target, up ? REPO_UP : REPO_DOWN, want, &rev,
	    cause) == -1)
		goto out;
	if (rev != NULL) {
		if (!up && !applied[rev->order]) {
			*cause = xasprintf("revision %s is not applied; downgrade "
			    "goes back to an applied revision", rev->id);
			goto out;
		}
	}
	if (up) {
		for (i = 0; i < repo->nrevs; i++) {
			if (want[i] && !applied[i])
				plan->revs[plan->nrevs++] = repo->revs[i];
		}
	} else {
		for (i = repo->nrevs; i > 0; i--) {
			if (!want[i - 1] && applied[i - 1])
				plan->revs[plan->nrevs++] = repo->revs[i - 1];
		}
	}
	ret = 0;
out:
	free(applied);
	free(want);
	if (ret == 0)
		*out = plan;
	else
		migrate_plan_free(plan);
	return ret;
}

/*
 * Run a plan: every file is split and checked before the first revision
 * runs, then each runs in its own transaction. Returns how many revisions this
 * process ran (another process may have run some), or -1 on failure; those
 * run before a failure stay done.
 */
int
migrate_apply(sqlite3 *db, const struct migrate_plan *plan, int up,
    const struct migrate_hooks *hooks, char **cause)
{
	struct lex_statement	**stmts;
	size_t			 *nstmts, i;
	int			  rc, ret = -1, done = 0;

	stmts = xcalloc(plan->nrevs, sizeof *stmts);
	nstmts = xcalloc(plan->nrevs, sizeof *nstmts);
	for (i = 0; i < plan->nrevs; i++) {
		if (revision_statements(plan->revs[i], up, &stmts[i],
		    &nstmts[i], cause) == -1)
			goto out;
	}
	for (i = 0; i < plan->nrevs; i++) {
		rc = migrate_run(db, plan->revs[i], up, stmts[i], nstmts[i],
		    hooks, cause);
		if (rc == -1)
			goto out;
		if (rc == 1) {
			done++;
			if (hooks != NULL && hooks->done != NULL)
				hooks->done(plan->revs[i], up, hooks->arg);
		}
	}
	ret = done;
out:
	for (i = 0; i < plan->nrevs; i++)
		lex_statements_free(stmts[i], nstmts[i]);
	free(stmts);
	free(nstmts);
	return ret;
}

/*
 * The SQL script a plan would run, for the sqlite3 shell: the same
 * transactions, statements and history rows as migrate_apply(). The shell
 * stops at the first error (.bail), so a failing revision is rolled back as
 * the runner would. The caller frees the result.
 */
int
migrate_script(const struct migrate_plan *plan, int up, char **out,
    char **cause)
{
	struct lex_statement	*stmts;
	sqlite3_str		*s;
	size_t			 i, j, n;

	*out = NULL;
	s = sqlite3_str_new(NULL);
	/* SQLite's printf knows %lld, not %zu. */
	sqlite3_str_appendf(s, "-- exodb %s script: %lld revision%s, for "
	    "the sqlite3 shell\n.bail on\nPRAGMA foreign_keys = OFF;\n%s",
	    up ? "upgrade" : "downgrade", (long long)plan->nrevs,
	    plan->nrevs == 1 ? "" : "s", SCRIPT_FK_SETUP);
	for (i = 0; i < plan->nrevs; i++) {
		if (revision_statements(plan->revs[i], up, &stmts, &n,
		    cause) == -1) {
			sqlite3_free(sqlite3_str_finish(s));
			return -1;
		}
		sqlite3_str_appendf(s, "\n-- %s %s: %s\nBEGIN IMMEDIATE;\n%s;\n%s",
		    up ? "upgrade" : "downgrade", plan->revs[i]->id,
		    plan->revs[i]->message, HISTORY_DDL, SCRIPT_FK_BEFORE);
		for (j = 0; j < n; j++)
			sqlite3_str_appendf(s, "%s;\n", stmts[j].sql);
		lex_statements_free(stmts, n);
		sqlite3_str_appendall(s, SCRIPT_FK_CHECK);
		if (up)
			sqlite3_str_appendf(s, "INSERT INTO %s (id, checksum, "
			    "applied_at) VALUES (%Q, %Q, %s);\n", HISTORY_TABLE,
			    plan->revs[i]->id, plan->revs[i]->checksum,
			    HISTORY_NOW);
		else
			sqlite3_str_appendf(s, "DELETE FROM %s WHERE id = %Q;\n",
			    HISTORY_TABLE, plan->revs[i]->id);
		sqlite3_str_appendall(s, "COMMIT;\n");
	}
	*out = xstr_finish(s);
	return 0;
}

struct migrate_stamping {
	const struct repo	*repo;
	const int		*want;
	int			 added;
	int			 removed;
};

static int
migrate_stamp_rows(sqlite3 *db, void *arg, char **cause)
{
	struct migrate_stamping	*st = arg;
	const struct revision	*rev;
	size_t			 i;
	int			 was;

	for (i = 0; i < st->repo->nrevs; i++) {
		rev = st->repo->revs[i];
		if (migrate_is_applied(db, rev->id, &was, cause) == -1)
			return -1;
		if (st->want[i] == was)
			continue;
		if (migrate_record(db, rev, st->want[i], cause) == -1)
			return -1;
		if (st->want[i])
			st->added++;
		else
			st->removed++;
	}
	return 0;
}

/*
 * Record the revisions target names (and their ancestors) as applied and no
 * others, without running any: "head", "base" or an id or prefix. In one
 * transaction. Sets *added and *removed to the counts.
 */
int
migrate_stamp(sqlite3 *db, const struct repo *repo, const char *target,
    int *added, int *removed, char **cause)
{
	struct migrate_stamping	 st;
	struct revision		*rev;
	int			*want;
	int			 ret = -1;

	*added = *removed = 0;
	want = xcalloc(repo->nrevs, sizeof *want);
	if (migrate_want(repo, target, 0, want, &rev, cause) == -1)
		goto out;
	memset(&st, 0, sizeof st);
	st.repo = repo;
	st.want = want;
	if (migrate_history_transaction(db, migrate_stamp_rows, &st,
	    cause) == -1)
		goto out;
	*added = st.added;
	*removed = st.removed;
	ret = 0;
out:
	free(want);
	return ret;
}

struct migrate_repairing {
	const struct repo	*repo;
	const struct history	*h;
	int			*changed;	/* per history row */
};

static int
migrate_repair_rows(sqlite3 *db, void *arg, char **cause)
{
	struct migrate_repairing	*rp = arg;
	const struct revision		*rev;
	size_t				 i;

	for (i = 0; i < rp->h->nrows; i++) {
		rev = repo_get(rp->repo, rp->h->rows[i].id);
		if (rev != NULL && strcmp(rev->checksum,
		    rp->h->rows[i].checksum) == 0)
			continue;
		if (migrate_set_row(db, rp->h->rows[i].id, rev != NULL ?
		    rev->checksum : NULL, cause) == -1)
			return -1;
		rp->changed[i] = 1;
	}
	return 0;
}

/*
 * Accept intended edits of applied revisions: record the current checksum of
 * each applied file that changed and, with forget set, forget the applied
 * revisions whose file is gone. Once committed, report(id, path, old
 * checksum, arg) is called for each row changed, with path NULL for a
 * forgotten one. Without forget, a missing file fails before any write.
 */
int
migrate_repair(sqlite3 *db, const struct repo *repo, const struct history *h,
    int forget, void (*report)(const char *, const char *, const char *,
    void *), void *arg, char **cause)
{
	struct migrate_repairing	 rp;
	const struct revision		*rev;
	size_t				 i;
	int				 ret = -1;

	for (i = 0; i < h->nrows && !forget; i++) {
		if (repo_get(repo, h->rows[i].id) == NULL) {
			*cause = xasprintf("%s/%s_*.sql: revision %s is applied "
			    "but its file is missing; restore it, or forget it "
			    "with --forget-missing", repo->versions,
			    h->rows[i].id, h->rows[i].id);
			return -1;
		}
	}
	rp.repo = repo;
	rp.h = h;
	rp.changed = xcalloc(h->nrows, sizeof *rp.changed);
	if (migrate_history_transaction(db, migrate_repair_rows, &rp,
	    cause) == -1)
		goto out;
	for (i = 0; i < h->nrows; i++) {
		if (!rp.changed[i] || report == NULL)
			continue;
		rev = repo_get(repo, h->rows[i].id);
		report(h->rows[i].id, rev != NULL ? rev->path : NULL,
		    h->rows[i].checksum, arg);
	}
	ret = 0;
out:
	free(rp.changed);
	return ret;
}

/*
 * Copy the database to a new file beside it with VACUUM INTO, named after
 * the time: <path>.<YYYYMMDDHHMMSS>.bak, or with -2, -3... if that exists.
 * *backup is set to its path; the caller frees it.
 */
int
migrate_backup(sqlite3 *db, const char *path, char **backup, char **cause)
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
