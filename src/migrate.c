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

#include "exodb.h"

#define HISTORY_DDL "CREATE TABLE IF NOT EXISTS " HISTORY_TABLE " (\n" \
	"\tid TEXT PRIMARY KEY,\n" \
	"\tchecksum TEXT NOT NULL,\n" \
	"\tapplied_at TEXT NOT NULL\n" \
	")"
#define HISTORY_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

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
	free(h);
}

/* The history table's rows, oldest first; none when it does not exist. */
int
migrate_history(sqlite3 *db, struct history **out, char **cause)
{
	struct history		*h;
	struct history_row	*row;
	sqlite3_stmt		*stmt = NULL;
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
	*out = h;
	return 0;
}

/* The history row recording revision id, or NULL when it is not applied. */
const struct history_row *
migrate_applied(const struct history *h, const char *id)
{
	size_t	i;

	for (i = 0; i < h->nrows; i++) {
		if (strcmp(h->rows[i].id, id) == 0)
			return &h->rows[i];
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
	size_t				 i, j;

	for (i = 0; i < h->nrows; i++) {
		row = &h->rows[i];
		rev = NULL;
		for (j = 0; j < repo->nrevs; j++) {
			if (strcmp(repo->revs[j]->id, row->id) == 0)
				rev = repo->revs[j];
		}
		if (rev == NULL) {
			*cause = xasprintf("%s/%s_*.sql: revision %s is applied "
			    "but its file is missing; restore it, or forget it "
			    "with 'exodb db repair'", repo->versions, row->id,
			    row->id);
			return -1;
		}
		if (strcmp(rev->checksum, row->checksum) != 0) {
			*cause = xasprintf("%s: changed since it was applied "
			    "(checksum %.12s, applied %.12s); restore it, or "
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

/* Describe the first row PRAGMA foreign_key_check reports, if any. */
static int
migrate_fk_check(sqlite3 *db, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc;

	if (db_prepare(db, &stmt, cause, "PRAGMA foreign_key_check") == -1)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*cause = xasprintf("foreign key check failed: row %lld of %s "
		    "refers to a missing row of %s", (long long)
		    sqlite3_column_int64(stmt, 1),
		    (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 2));
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

static int
migrate_record(sqlite3 *db, const struct revision *rev, int up, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (up && db_prepare(db, &stmt, cause, "INSERT INTO %s (id, checksum, "
	    "applied_at) VALUES (?1, ?2, %s)", HISTORY_TABLE, HISTORY_NOW) == -1)
		return -1;
	if (!up && db_prepare(db, &stmt, cause, "DELETE FROM %s WHERE id = ?1",
	    HISTORY_TABLE) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, rev->id, -1, SQLITE_STATIC);
	if (up)
		sqlite3_bind_text(stmt, 2, rev->checksum, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", HISTORY_TABLE, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * Run one revision's upgrade (up) or downgrade section in its own transaction
 * with its history row. The statements were split and checked beforehand.
 * Returns 1 when it ran, 0 when another process had already done it, -1 on
 * failure, after which nothing of it remains.
 */
static int
migrate_run(sqlite3 *db, const struct revision *rev, int up,
    const struct lex_statement *stmts, size_t nstmts, char **cause)
{
	char	*why = NULL;
	size_t	 i;
	int	 applied, ret = -1;

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
	for (i = 0; i < nstmts; i++) {
		if (migrate_step(db, stmts[i].sql, &why) == -1) {
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
	if (migrate_fk_check(db, &why) == -1) {
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

/*
 * Apply, in graph order, every revision target needs that is not applied yet
 * (target NULL: the single head). Every pending file is read and checked
 * before the first runs. Returns how many revisions this process applied, or
 * -1 on failure; those applied before a failure stay applied.
 */
int
migrate_upgrade(sqlite3 *db, const struct repo *repo,
    const struct revision *target, const struct migrate_hooks *hooks,
    char **cause)
{
	struct history		 *h = NULL;
	struct revision		 *head, **pending = NULL;
	struct lex_statement	**stmts = NULL;
	size_t			 *nstmts = NULL, npending = 0, i;
	int			  rc, ret = -1, applied = 0;

	if (target == NULL) {
		if (repo_single_head(repo, &head, cause) == -1)
			return -1;
		target = head;
	}
	if (migrate_history(db, &h, cause) == -1)
		return -1;
	if (migrate_verify(repo, h, cause) == -1)
		goto out;
	if (target == NULL) {
		ret = 0;
		goto out;
	}
	pending = xcalloc(repo->nrevs, sizeof *pending);
	for (i = 0; i < repo->nrevs; i++) {
		if (repo_is_ancestor(repo->revs[i], target) &&
		    migrate_applied(h, repo->revs[i]->id) == NULL)
			pending[npending++] = repo->revs[i];
	}
	stmts = xcalloc(npending, sizeof *stmts);
	nstmts = xcalloc(npending, sizeof *nstmts);
	for (i = 0; i < npending; i++) {
		if (revision_statements(pending[i], 1, &stmts[i], &nstmts[i],
		    cause) == -1)
			goto out;
	}
	for (i = 0; i < npending; i++) {
		rc = migrate_run(db, pending[i], 1, stmts[i], nstmts[i], cause);
		if (rc == -1)
			goto out;
		if (rc == 1) {
			applied++;
			if (hooks != NULL && hooks->done != NULL)
				hooks->done(pending[i], 1, hooks->arg);
		}
	}
	ret = applied;
out:
	for (i = 0; i < npending && stmts != NULL; i++)
		lex_statements_free(stmts[i], nstmts[i]);
	free(stmts);
	free(nstmts);
	free(pending);
	migrate_history_free(h);
	return ret;
}
