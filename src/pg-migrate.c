/*
 * The history table and the runner on PostgreSQL. The table has the columns
 * it has on SQLite and is read into the same struct history, so that plan.c
 * and repo.c work unchanged.
 *
 * Each revision runs in its own transaction with its history row (the
 * server's DDL is transactional). The transaction first takes an advisory
 * lock, which every exodb run on the database takes, and then reads the
 * history again: two runs started together apply each revision once. Any
 * wait for a lock ends after lock_timeout (--timeout, set by pg_open).
 * Before anything runs, every revision of the plan must have its PostgreSQL
 * section, and no statement in one may manage the transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "pq.h"

#include "exodb.h"

/* The advisory lock's key: "exodb" in ASCII, as a number. */
#define PG_LOCK_KEY	"435711205474"
#define PG_LOCK		"SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")"
/* The time as SQLite's history rows hold it, 2026-12-02T03:04:05.678Z. */
#define PG_NOW		"to_char(clock_timestamp() AT TIME ZONE 'UTC', " \
			"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define PG_UNDEFINED_TABLE "42P01"

/*
 * The history table's rows, oldest first; none when it does not exist
 * (found by the one query that reads it, outside any transaction).
 */
int
pg_history_read(struct pg_conn *conn, struct history **out, char **cause)
{
	PGresult	*res;
	struct history	*h;
	const char	*state;
	char		*why;
	int		 i, n;

	*out = NULL;
	res = PQexec(conn, "SELECT id, checksum, applied_at FROM "
	    HISTORY_TABLE " ORDER BY applied_at, id");
	if (!pg_result_ok(res)) {
		state = res != NULL ? PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) : NULL;
		if (state != NULL && strcmp(state, PG_UNDEFINED_TABLE) == 0 &&
		    PQtransactionStatus(conn) == PQTRANS_IDLE) {
			PQclear(res);
			*out = history_new();
			return 0;
		}
		why = pg_result_error(conn, res, NULL);
		*cause = xasprintf("%s: %s", HISTORY_TABLE, why);
		free(why);
		PQclear(res);
		return -1;
	}
	h = history_new();
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 0) || PQgetisnull(res, i, 1) ||
		    PQgetisnull(res, i, 2)) {
			*cause = xasprintf("%s: a row holds NULL; the table "
			    "was changed by hand", HISTORY_TABLE);
			history_free(h);
			PQclear(res);
			return -1;
		}
		history_add(h, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2));
	}
	PQclear(res);
	*out = h;
	return 0;
}

/*
 * Begin a transaction, take the lock and make sure the history table is
 * there, in one round trip.
 */
static int
pg_begin(struct pg_conn *conn, char **cause)
{
	return pg_exec(conn, "BEGIN;\n" PG_LOCK ";\n" HISTORY_DDL, cause);
}

static int
pg_commit(struct pg_conn *conn, char **cause)
{
	return pg_exec(conn, "COMMIT", cause);
}

/* A statement with parameters whose rows do not matter. */
static int
pg_exec_params(struct pg_conn *conn, const char *sql, int n,
    const char *const *values, char **cause)
{
	PGresult	*res;

	res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	if (!pg_result_ok(res)) {
		*cause = pg_result_error(conn, res, NULL);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Record id as applied with its checksum, or forget it (checksum NULL). */
static int
pg_history_set(struct pg_conn *conn, const char *id, const char *checksum,
    char **cause)
{
	const char	*values[2] = { id, checksum };

	if (checksum == NULL)
		return pg_exec_params(conn, "DELETE FROM " HISTORY_TABLE
		    " WHERE id = $1", 1, values, cause);
	return pg_exec_params(conn, "INSERT INTO " HISTORY_TABLE " (id, "
	    "checksum, applied_at) VALUES ($1, $2, " PG_NOW ") ON CONFLICT "
	    "(id) DO UPDATE SET checksum = EXCLUDED.checksum", 2, values,
	    cause);
}

/*
 * Record the revisions target names (and their ancestors) as applied and no
 * others, without running any, in one transaction under the lock. Sets
 * *added and *removed to the counts.
 */
int
pg_stamp(struct pg_conn *conn, const struct repo *repo, const char *target,
    int *added, int *removed, char **cause)
{
	struct history	*h = NULL;
	struct revision	*rev;
	const char	*id;
	int		*want, was, ret = -1;
	size_t		 i;

	*added = *removed = 0;
	want = xcalloc(repo->nrevs + 1, sizeof *want);
	if (plan_wanted(repo, target, want, &rev, cause) == -1)
		goto out;
	if (pg_begin(conn, cause) == -1 ||
	    pg_history_read(conn, &h, cause) == -1)
		goto out;
	for (i = 0; i < repo->nrevs; i++) {
		id = repo->revs[i]->id;
		was = history_row(h, id) != NULL;
		if (want[i] && !was && pg_history_set(conn, id,
		    repo->revs[i]->checksum, cause) == -1)
			goto out;
		if (!want[i] && was && pg_history_set(conn, id, NULL,
		    cause) == -1)
			goto out;
		*added += want[i] && !was;
		*removed += !want[i] && was;
	}
	if (pg_commit(conn, cause) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1)
		*added = *removed = 0;
	pg_rollback(conn);
	history_free(h);
	free(want);
	return ret;
}

/*
 * Accept intended edits of applied revisions, as history_repair() does on
 * SQLite, in one transaction under the lock with the history read again
 * there: record the checksum of each applied file that changed and, with
 * forget set, forget the applied revisions whose file is gone. Once
 * committed, report(id, path, old checksum, arg) is called for each row
 * changed, with path NULL for a forgotten one. Without forget, a missing
 * file fails before any write.
 */
int
pg_repair(struct pg_conn *conn, const struct repo *repo, int forget,
    void (*report)(const char *, const char *, const char *, void *),
    void *arg, char **cause)
{
	struct history		 *h = NULL;
	const struct revision	**revs = NULL;
	int			 *changed = NULL, ret = -1;
	size_t			  i;

	if (pg_begin(conn, cause) == -1 ||
	    pg_history_read(conn, &h, cause) == -1)
		goto out;
	revs = history_match(repo, h);
	changed = xcalloc(h->nrows + 1, sizeof *changed);
	for (i = 0; i < h->nrows && !forget; i++) {
		if (revs[i] == NULL) {
			*cause = history_missing(repo, h->rows[i].id,
			    "--forget-missing");
			goto out;
		}
	}
	for (i = 0; i < h->nrows; i++) {
		if (revs[i] != NULL && strcmp(revs[i]->checksum,
		    h->rows[i].checksum) == 0)
			continue;
		if (pg_history_set(conn, h->rows[i].id, revs[i] != NULL ?
		    revs[i]->checksum : NULL, cause) == -1)
			goto out;
		changed[i] = 1;
	}
	if (pg_commit(conn, cause) == -1)
		goto out;
	for (i = 0; i < h->nrows && report != NULL; i++) {
		if (changed[i])
			report(h->rows[i].id, revs[i] != NULL ? revs[i]->path :
			    NULL, h->rows[i].checksum, arg);
	}
	ret = 0;
out:
	pg_rollback(conn);
	free(changed);
	free(revs);
	history_free(h);
	return ret;
}

/*
 * db baseline's transaction: begun with the lock taken, which every exodb
 * run that changes the schema takes, so that none does until pg_record()
 * commits or the caller rolls back.
 */
int
pg_lock(struct pg_conn *conn, char **cause)
{
	return pg_begin(conn, cause);
}

/* Record id as applied with its checksum, and commit pg_lock()'s work. */
int
pg_record(struct pg_conn *conn, const char *id, const char *checksum,
    char **cause)
{
	if (pg_history_set(conn, id, checksum, cause) == -1)
		return -1;
	return pg_commit(conn, cause);
}

/*
 * Each revision's section of the plan split into statements, once every
 * revision is known to have one and none of its statements manages the
 * transaction: otherwise -1, naming the file and line, before anything ran.
 */
static int
pg_split_plan(const struct plan *plan, struct pg_statements ***out,
    char **cause)
{
	struct pg_statements	**v;
	const struct revision	*rev;
	const char		*sql, *word;
	unsigned		 line;
	size_t			 i, j;

	*out = NULL;
	if (plan_check_dialect(plan, DIALECT_POSTGRESQL, cause) == -1)
		return -1;
	v = xcalloc(plan->nrevs + 1, sizeof *v);
	for (i = 0; i < plan->nrevs; i++) {
		rev = plan->revs[i];
		sql = revision_sql(rev, DIALECT_POSTGRESQL, plan->up, &line);
		v[i] = pg_split(sql, line);
		for (j = 0; j < v[i]->n; j++) {
			if ((word = pg_transaction_word(v[i]->v[j].sql)) ==
			    NULL)
				continue;
			*cause = xasprintf("%s:%u: %s: a revision must not "
			    "manage transactions; each runs in one of its "
			    "own", rev->path, v[i]->v[j].line, word);
			for (i++; i > 0; i--)
				pg_statements_free(v[i - 1]);
			free(v);
			return -1;
		}
	}
	*out = v;
	return 0;
}

/*
 * Run one statement of rev. A failure is reported at the line of the
 * statement the server's error position points into, else at its first.
 */
static int
pg_statement(struct pg_conn *conn, const struct revision *rev,
    const struct pg_statement *st, const struct migrate_hooks *hooks,
    char **cause)
{
	PGresult	*res;
	unsigned long	 pos;
	unsigned	 line = st->line;
	size_t		 off, i;
	char		*why;

	if (hooks != NULL && hooks->statement != NULL)
		hooks->statement(rev, st->line, st->sql, hooks->arg);
	res = PQexec(conn, st->sql);
	if (!pg_result_ok(res)) {
		why = pg_result_error(conn, res, &pos);
		off = pg_char_offset(st->sql, pos);
		for (i = 0; i < off; i++)
			line += st->sql[i] == '\n';
		*cause = xasprintf("%s:%u: %s", rev->path, line, why);
		free(why);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		*cause = xasprintf("%s:%u: the statement ended the "
		    "transaction", rev->path, st->line);
		return -1;
	}
	return 0;
}

/*
 * Run rev with its history row: in a transaction of its own, begun here
 * with the lock, unless one is open (one). The history table is made in it
 * until *ready says it exists. Each end is one round trip (a pipeline): the
 * begin, lock and read of the revision's row; the row's change and the
 * commit. Returns 1 when it ran, 0 when it was already done (another
 * process did it; the transaction is left for the caller to roll back), -1.
 */
static int
pg_revision(struct pg_conn *conn, const struct plan *plan,
    const struct revision *rev, const struct pg_statements *st,
    const struct migrate_hooks *hooks, int one, int *ready, char **cause)
{
	struct pg_query	 q[4];
	PGresult	*res = NULL;
	const char	*values[2] = { rev->id, rev->checksum };
	char		*why = NULL;
	size_t		 i, n = 0;
	int		 applied;

	if (!one) {
		q[n++] = (struct pg_query){ "BEGIN", 0, NULL };
		q[n++] = (struct pg_query){ PG_LOCK, 0, NULL };
		if (!*ready)
			q[n++] = (struct pg_query){ HISTORY_DDL, 0, NULL };
	}
	q[n++] = (struct pg_query){ "SELECT 1 FROM " HISTORY_TABLE
	    " WHERE id = $1", 1, values };
	if (pg_pipeline(conn, q, n, &res, &why) == -1)
		goto fail;
	applied = PQntuples(res) > 0;
	PQclear(res);
	if (applied == plan->up)
		return 0;
	for (i = 0; i < st->n; i++) {
		if (pg_statement(conn, rev, &st->v[i], hooks, cause) == -1)
			return -1;
	}
	n = 0;
	if (plan->up)
		q[n++] = (struct pg_query){ "INSERT INTO " HISTORY_TABLE
		    " (id, checksum, applied_at) VALUES ($1, $2, " PG_NOW ")",
		    2, values };
	else
		q[n++] = (struct pg_query){ "DELETE FROM " HISTORY_TABLE
		    " WHERE id = $1", 1, values };
	if (!one)
		q[n++] = (struct pg_query){ "COMMIT", 0, NULL };
	if (pg_pipeline(conn, q, n, NULL, &why) == -1)
		goto fail;
	if (!one)
		*ready = 1;
	return 1;
fail:
	*cause = xasprintf("%s: %s", rev->path, why);
	free(why);
	return -1;
}

static void
pg_done(const struct plan *plan, const struct revision *rev,
    const struct migrate_hooks *hooks)
{
	if (hooks != NULL && hooks->done != NULL)
		hooks->done(rev, plan->up, hooks->arg);
}

/* A failure to begin or commit, named after the revision. */
static int
pg_fail(const struct revision *rev, char *why, char **cause)
{
	*cause = xasprintf("%s: %s", rev->path, why);
	free(why);
	return -1;
}

/*
 * Run a plan on PostgreSQL: each revision in its own transaction, or all in
 * one with MIGRATE_SINGLE. Returns how many revisions this process ran, or
 * -1 with *cause set; those run before a failure stay done.
 */
int
pg_apply(struct pg_conn *conn, const struct plan *plan, int flags,
    const struct migrate_hooks *hooks, char **cause)
{
	struct pg_statements	**st = NULL;
	const struct revision	*rev;
	char			*why = NULL;
	int			*ran, rc, done = 0, ret = -1, ready = 0;
	int			 one = (flags & MIGRATE_SINGLE) != 0;
	size_t			 i;

	if (pg_split_plan(plan, &st, cause) == -1)
		return -1;
	ran = xcalloc(plan->nrevs + 1, sizeof *ran);
	if (one && plan->nrevs > 0 && pg_begin(conn, &why) == -1) {
		pg_fail(plan->revs[0], why, cause);
		goto out;
	}
	for (i = 0; i < plan->nrevs; i++) {
		rev = plan->revs[i];
		if ((rc = pg_revision(conn, plan, rev, st[i], hooks, one,
		    &ready, cause)) == -1)
			goto out;
		ran[i] = rc;
		if (!one && rc == 0)
			pg_rollback(conn);
		if (!one && rc == 1)
			pg_done(plan, rev, hooks);
		done += rc;
	}
	if (one && plan->nrevs > 0 && pg_commit(conn, &why) == -1) {
		pg_fail(plan->revs[0], why, cause);
		goto out;
	}
	for (i = 0; one && i < plan->nrevs; i++) {
		if (ran[i])
			pg_done(plan, plan->revs[i], hooks);
	}
	ret = done;
out:
	pg_rollback(conn);
	for (i = 0; i < plan->nrevs; i++)
		pg_statements_free(st[i]);
	free(st);
	free(ran);
	return ret;
}

/*
 * The script a plan would run, for psql (which stops at the first error
 * with ON_ERROR_STOP, so that a failing revision is rolled back as the
 * runner would): the same transactions, lock, statements and history rows
 * as pg_apply(). The caller frees *out.
 */
int
pg_script(const struct plan *plan, int flags, char **out, char **cause)
{
	struct pg_statements	**st = NULL;
	const struct revision	*rev;
	sqlite3_str		*s;
	size_t			 i, j;
	int			 one = (flags & MIGRATE_SINGLE) != 0;

	*out = NULL;
	if (pg_split_plan(plan, &st, cause) == -1)
		return -1;
	s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(s, "-- exodb %s script: %lld revision%s%s, for "
	    "psql\n\\set ON_ERROR_STOP on\n", plan->up ? "upgrade" :
	    "downgrade", (long long)plan->nrevs, plan->nrevs == 1 ? "" : "s",
	    one ? " in one transaction" : "");
	if (one)
		sqlite3_str_appendf(s, "BEGIN;\n%s;\n%s;\n", PG_LOCK,
		    HISTORY_DDL);
	for (i = 0; i < plan->nrevs; i++) {
		rev = plan->revs[i];
		sqlite3_str_appendf(s, "\n-- %s %s: %s\n",
		    plan->up ? "upgrade" : "downgrade", rev->id, rev->message);
		if (!one)
			sqlite3_str_appendf(s, "BEGIN;\n%s;\n%s;\n", PG_LOCK,
			    HISTORY_DDL);
		for (j = 0; j < st[i]->n; j++)
			sqlite3_str_appendf(s, "%s;\n", st[i]->v[j].sql);
		if (plan->up)
			sqlite3_str_appendf(s, "INSERT INTO %s (id, checksum, "
			    "applied_at) VALUES (%Q, %Q, %s);\n", HISTORY_TABLE,
			    rev->id, rev->checksum, PG_NOW);
		else
			sqlite3_str_appendf(s, "DELETE FROM %s WHERE id = %Q;\n",
			    HISTORY_TABLE, rev->id);
		if (!one)
			sqlite3_str_appendall(s, "COMMIT;\n");
	}
	if (one)
		sqlite3_str_appendall(s, "\nCOMMIT;\n");
	for (i = 0; i < plan->nrevs; i++)
		pg_statements_free(st[i]);
	free(st);
	*out = xstr_finish(s);
	return 0;
}

/* Whether a table (or view) name is on the search path. */
int
pg_table_exists(struct pg_conn *conn, const char *name, int *exists,
    char **cause)
{
	PGresult	*res;
	const char	*values[1] = { name };

	res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL,
	    values, NULL, NULL, 0);
	if (!pg_result_ok(res) || PQntuples(res) != 1) {
		*cause = pg_result_error(conn, res, NULL);
		PQclear(res);
		return -1;
	}
	*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/*
 * What a downgrade plan's DROP statements may lose, as the places they are
 * at ("the tables and columns 2 DROP statements remove, with their rows
 * (versions/a.sql:9, ...)"), or NULL for none. Without reading the server's
 * tables this cannot tell an empty one from a full one: any DROP asks.
 */
char *
pg_plan_drops(const struct plan *plan)
{
	struct pg_statements	*st;
	const char		*sql;
	sqlite3_str		*where;
	char			*list, *out;
	unsigned		 line;
	size_t			 i, j, n = 0;

	where = sqlite3_str_new(NULL);
	for (i = 0; !plan->up && i < plan->nrevs; i++) {
		if ((sql = revision_sql(plan->revs[i], DIALECT_POSTGRESQL, 0,
		    &line)) == NULL)
			continue;
		st = pg_split(sql, line);
		for (j = 0; j < st->n; j++) {
			if (!pg_drops_data(st->v[j].sql))
				continue;
			sqlite3_str_appendf(where, "%s%s:%u", n > 0 ? ", " : "",
			    plan->revs[i]->path, st->v[j].line);
			n++;
		}
		pg_statements_free(st);
	}
	if (n == 0) {
		sqlite3_free(sqlite3_str_finish(where));
		return NULL;
	}
	list = xstr_finish(where);
	out = xasprintf("the tables and columns %s, with their rows (%s)",
	    n == 1 ? "a DROP statement removes" : "its DROP statements remove",
	    list);
	free(list);
	return out;
}

/*
 * Run the sections of plan's revisions in the transaction the caller has
 * open, without the lock or history rows, and leave it open for the caller
 * to roll back: what reading the chain's schema on the server and db
 * migrate's proof there need. A revision without its section, or one that
 * manages the transaction, fails before anything runs; a statement that
 * fails is named by file and line, as pg_apply() names it.
 */
int
pg_run_plan(struct pg_conn *conn, const struct plan *plan,
    const struct migrate_hooks *hooks, char **cause)
{
	struct pg_statements	**st = NULL;
	size_t			 i, j;
	int			 ret = 0;

	if (pg_split_plan(plan, &st, cause) == -1)
		return -1;
	for (i = 0; i < plan->nrevs && ret == 0; i++) {
		for (j = 0; j < st[i]->n && ret == 0; j++)
			ret = pg_statement(conn, plan->revs[i], &st[i]->v[j],
			    hooks, cause);
	}
	for (i = 0; i < plan->nrevs; i++)
		pg_statements_free(st[i]);
	free(st);
	return ret;
}
