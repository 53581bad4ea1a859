/*
 * The history table, exodb_revisions: one row per applied revision with the
 * SHA-256 of its file. Read once per command into a struct history, whose
 * rows are also indexed by id so that every lookup is a binary search; the
 * questions asked of it (verified? at head? where is the database?) are each
 * one pass over the repository.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exodb.h"

void
history_free(struct history *h)
{
	size_t	i;

	if (h == NULL)
		return;
	/* A row's three strings are one allocation (history_row_set()). */
	for (i = 0; i < h->nrows; i++)
		free(h->rows[i].id);
	free(h->rows);
	free(h->by_id);
	free(h);
}

struct history *
history_new(void)
{
	return xcalloc(1, sizeof (struct history));
}

/* Where id is, or would go, in the index by id. */
static size_t
history_slot(const struct history *h, const char *id, int *found)
{
	size_t	lo = 0, hi = h->nrows, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(id, h->rows[h->by_id[mid]].id)) == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A new row at the end of h->rows, its strings in one allocation. */
static void
history_append(struct history *h, const char *id, const char *checksum,
    const char *applied_at)
{
	struct history_row	*row;
	size_t			 nid = strlen(id) + 1, nck = strlen(checksum) + 1;
	size_t			 nat = strlen(applied_at) + 1;

	if (h->nrows == h->nalloc) {
		h->nalloc = h->nalloc == 0 ? 64 : h->nalloc * 2;
		h->rows = xreallocarray(h->rows, h->nalloc, sizeof *h->rows);
		h->by_id = xreallocarray(h->by_id, h->nalloc,
		    sizeof *h->by_id);
	}
	row = &h->rows[h->nrows++];
	row->id = xmalloc(nid + nck + nat);
	row->checksum = row->id + nid;
	row->applied_at = row->checksum + nck;
	memcpy(row->id, id, nid);
	memcpy(row->checksum, checksum, nck);
	memcpy(row->applied_at, applied_at, nat);
}

/*
 * Append a row (oldest first). Rows mostly come in id order, so keeping the
 * index sorted costs nothing in the usual case.
 */
void
history_add(struct history *h, const char *id, const char *checksum,
    const char *applied_at)
{
	size_t	at;
	int	found;

	at = history_slot(h, id, &found);
	history_append(h, id, checksum, applied_at);
	memmove(h->by_id + at + 1, h->by_id + at,
	    (h->nrows - 1 - at) * sizeof *h->by_id);
	h->by_id[at] = h->nrows - 1;
}

/* Oldest first: by the time applied, then by id. */
static int
history_compare_applied(const void *a, const void *b)
{
	const struct history_row	*ra = a, *rb = b;
	int				 c;

	if ((c = strcmp(ra->applied_at, rb->applied_at)) != 0)
		return c;
	return strcmp(ra->id, rb->id);
}

/* Indexes of rows, by the ids of the rows they index (qsort_r's arg). */
static int
history_compare_ids(const void *a, const void *b, void *arg)
{
	const struct history_row	*rows = arg;

	return strcmp(rows[*(const size_t *)a].id, rows[*(const size_t *)b].id);
}

/*
 * Put rows read in any order oldest first and index them by id. Rows are
 * mostly written in both orders already: then each is one pass.
 */
static void
history_order(struct history *h)
{
	size_t	i;

	for (i = 1; i < h->nrows; i++) {
		if (history_compare_applied(&h->rows[i - 1], &h->rows[i]) > 0)
			break;
	}
	if (i < h->nrows)
		qsort(h->rows, h->nrows, sizeof *h->rows,
		    history_compare_applied);
	for (i = 0; i < h->nrows; i++)
		h->by_id[i] = i;
	for (i = 1; i < h->nrows; i++) {
		if (strcmp(h->rows[i - 1].id, h->rows[i].id) > 0)
			break;
	}
	if (i < h->nrows)
		qsort_r(h->by_id, h->nrows, sizeof *h->by_id,
		    history_compare_ids, h->rows);
}

/*
 * The history table's rows, oldest first; none when it does not exist. They
 * are read in the table's own order and sorted here, where they are mostly
 * in order already, rather than by SQLite, which would sort them all.
 */
int
history_read(sqlite3 *db, struct history **out, char **cause)
{
	struct history	*h;
	sqlite3_stmt	*stmt = NULL;
	const char	*id, *checksum, *applied_at;
	int		 exists, rc;

	*out = NULL;
	if (db_table_exists(db, HISTORY_TABLE, &exists, cause) == -1)
		return -1;
	h = history_new();
	if (!exists) {
		*out = h;
		return 0;
	}
	if (db_prepare(db, &stmt, cause, "SELECT id, checksum, applied_at FROM "
	    "%s", HISTORY_TABLE) == -1) {
		history_free(h);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(stmt, 0);
		checksum = (const char *)sqlite3_column_text(stmt, 1);
		applied_at = (const char *)sqlite3_column_text(stmt, 2);
		/* SQLite gives NULL text only for NULL, or out of memory. */
		if (id == NULL || checksum == NULL || applied_at == NULL) {
			if (sqlite3_column_type(stmt, 0) == SQLITE_NULL ||
			    sqlite3_column_type(stmt, 1) == SQLITE_NULL ||
			    sqlite3_column_type(stmt, 2) == SQLITE_NULL)
				*cause = xasprintf("%s: a row holds NULL; the "
				    "table was changed by hand", HISTORY_TABLE);
			else
				*cause = db_error(db);
			sqlite3_finalize(stmt);
			history_free(h);
			return -1;
		}
		history_append(h, id, checksum, applied_at);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", HISTORY_TABLE, sqlite3_errmsg(db));
		history_free(h);
		return -1;
	}
	history_order(h);
	*out = h;
	return 0;
}

/* The history row recording revision id, or NULL when it is not applied. */
const struct history_row *
history_row(const struct history *h, const char *id)
{
	size_t	at;
	int	found;

	at = history_slot(h, id, &found);
	return found ? &h->rows[h->by_id[at]] : NULL;
}

/* The message for an applied revision whose file is gone; caller frees. */
char *
history_missing(const struct repo *repo, const char *id, const char *fix)
{
	return xasprintf("%s/%s_*.sql: revision %s is applied but its file is "
	    "missing; restore it, or forget it with %s", repo->versions, id, id,
	    fix);
}

/*
 * The revision each history row records, indexed like h->rows: NULL where
 * the file is gone. The caller frees the result.
 */
const struct revision **
history_match(const struct repo *repo, const struct history *h)
{
	const struct revision	**revs;
	size_t			  i, at;
	int			  found;

	revs = xcalloc(h->nrows + 1, sizeof *revs);
	for (i = 0; i < repo->nrevs; i++) {
		at = history_slot(h, repo->revs[i]->id, &found);
		if (found)
			revs[h->by_id[at]] = repo->revs[i];
	}
	return revs;
}

/* Check that every applied revision's file is still there and unchanged. */
int
history_verify(const struct repo *repo, const struct history *h, char **cause)
{
	const struct revision	**revs;
	size_t			  i;
	int			  ret = -1;

	revs = history_match(repo, h);
	for (i = 0; i < h->nrows; i++) {
		if (revs[i] == NULL) {
			*cause = history_missing(repo, h->rows[i].id,
			    "'exodb db repair'");
			goto out;
		}
		if (strcmp(revs[i]->checksum, h->rows[i].checksum) != 0) {
			*cause = xasprintf("%s: changed since it was applied "
			    "(SHA-256 now %.12s, then %.12s); restore it, or "
			    "accept the edit with 'exodb db repair'",
			    revs[i]->path, revs[i]->checksum,
			    h->rows[i].checksum);
			goto out;
		}
	}
	ret = 0;
out:
	free(revs);
	return ret;
}

/* Whether every revision of the repository is applied. */
int
history_at_head(const struct repo *repo, const struct history *h)
{
	size_t	i;

	for (i = 0; i < repo->nrevs; i++) {
		if (history_row(h, repo->revs[i]->id) == NULL)
			return 0;
	}
	return 1;
}

/* Whether the history table holds id, read inside the transaction. */
int
history_has(sqlite3 *db, const char *id, int *applied, char **cause)
{
	return db_exists(db, id, applied, cause,
	    "SELECT 1 FROM %s WHERE id = ?1", HISTORY_TABLE);
}

/*
 * The statement that records a revision as applied with its checksum (an
 * existing row keeps the time it was applied), or with up 0 the one that
 * forgets it. ?1 is the id, ?2 the checksum, ?3 the time (history_step_set()
 * binds it: SQLite's strftime() would cost as much as the insert).
 */
static int
history_prepare_set(sqlite3 *db, int up, sqlite3_stmt **stmt, char **cause)
{
	if (up)
		return db_prepare(db, stmt, cause, "INSERT INTO %s (id, checksum, "
		    "applied_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE "
		    "SET checksum = excluded.checksum", HISTORY_TABLE);
	return db_prepare(db, stmt, cause, "DELETE FROM %s WHERE id = ?1",
	    HISTORY_TABLE);
}

/* Now in UTC as HISTORY_NOW writes it: 2026-11-25T04:30:12.345Z. */
static void
history_now(char buf[32])
{
	struct timespec	ts;
	struct tm	tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), 32 - strlen(buf), ".%03ldZ",
	    ts.tv_nsec / 1000000);
}

/* Run a statement of history_prepare_set() for one revision. */
static int
history_step_set(sqlite3 *db, sqlite3_stmt *stmt, const char *id,
    const char *checksum, char **cause)
{
	char	now[32];
	int	rc;

	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (checksum != NULL) {
		history_now(now);
		sqlite3_bind_text(stmt, 2, checksum, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, now, -1, SQLITE_TRANSIENT);
	}
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", HISTORY_TABLE, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * Record id as applied with its checksum (an existing row keeps the time it
 * was applied), or forget it when checksum is NULL.
 */
int
history_set(sqlite3 *db, const char *id, const char *checksum, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 ret;

	if (history_prepare_set(db, checksum != NULL, &stmt, cause) == -1)
		return -1;
	ret = history_step_set(db, stmt, id, checksum, cause);
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * history_set() for each of the n revisions whose which[] is set: recorded
 * with their checksums when up, else forgotten. One statement serves them
 * all, where a statement of each would be parsed and planned anew.
 */
int
history_set_many(sqlite3 *db, struct revision *const *revs, const int *which,
    size_t n, int up, char **cause)
{
	sqlite3_stmt	*stmt;
	size_t		 i;
	int		 ret = 0;

	for (i = 0; i < n && !which[i]; i++)
		;
	if (i == n)
		return 0;
	if (history_prepare_set(db, up, &stmt, cause) == -1)
		return -1;
	for (; i < n && ret == 0; i++) {
		if (which[i])
			ret = history_step_set(db, stmt, revs[i]->id, up ?
			    revs[i]->checksum : NULL, cause);
	}
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * Change the history table alone, in one BEGIN IMMEDIATE transaction: fn
 * makes the changes, reading what it needs inside the lock.
 */
static int
history_transaction(sqlite3 *db, int (*fn)(sqlite3 *, void *, char **),
    void *arg, char **cause)
{
	char	*why = NULL;

	if (db_exec(db, "BEGIN IMMEDIATE", &why) == -1 ||
	    db_exec(db, HISTORY_DDL, &why) == -1 || fn(db, arg, &why) == -1 ||
	    db_exec(db, "COMMIT", &why) == -1) {
		*cause = why;
		db_rollback(db);
		return -1;
	}
	return 0;
}

struct history_stamping {
	const struct repo	*repo;
	const int		*want;
	int			 added;
	int			 removed;
};

/*
 * Add and remove rows as st->want says, after reading the history inside
 * the lock: one statement for the rows added and one for those removed.
 */
static int
history_stamp_rows(sqlite3 *db, void *arg, char **cause)
{
	struct history_stamping	*st = arg;
	struct history		*h = NULL;
	size_t			 i, n = st->repo->nrevs;
	int			*add, *drop, was, ret = -1;

	if (history_read(db, &h, cause) == -1)
		return -1;
	add = xcalloc(n + 1, sizeof *add);
	drop = xcalloc(n + 1, sizeof *drop);
	for (i = 0; i < n; i++) {
		was = history_row(h, st->repo->revs[i]->id) != NULL;
		add[i] = st->want[i] && !was;
		drop[i] = !st->want[i] && was;
		st->added += add[i];
		st->removed += drop[i];
	}
	if (history_set_many(db, st->repo->revs, add, n, 1, cause) == 0 &&
	    history_set_many(db, st->repo->revs, drop, n, 0, cause) == 0)
		ret = 0;
	free(add);
	free(drop);
	history_free(h);
	return ret;
}

/*
 * Record the revisions target names (and their ancestors) as applied and no
 * others, without running any: "head", "base" or an id or prefix. In one
 * transaction. Sets *added and *removed to the counts.
 */
int
history_stamp(sqlite3 *db, const struct repo *repo, const char *target,
    int *added, int *removed, char **cause)
{
	struct history_stamping	 st;
	struct revision		*rev;
	int			*want;
	int			 ret = -1;

	*added = *removed = 0;
	want = xcalloc(repo->nrevs + 1, sizeof *want);
	if (plan_wanted(repo, target, want, &rev, cause) == -1)
		goto out;
	memset(&st, 0, sizeof st);
	st.repo = repo;
	st.want = want;
	if (history_transaction(db, history_stamp_rows, &st, cause) == -1)
		goto out;
	*added = st.added;
	*removed = st.removed;
	ret = 0;
out:
	free(want);
	return ret;
}

struct history_repairing {
	const struct history	 *h;
	const struct revision	**revs;		/* per history row */
	int			 *changed;	/* per history row */
};

static int
history_repair_rows(sqlite3 *db, void *arg, char **cause)
{
	struct history_repairing	*rp = arg;
	const struct revision		*rev;
	size_t				 i;

	for (i = 0; i < rp->h->nrows; i++) {
		rev = rp->revs[i];
		if (rev != NULL && strcmp(rev->checksum,
		    rp->h->rows[i].checksum) == 0)
			continue;
		if (history_set(db, rp->h->rows[i].id, rev != NULL ?
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
history_repair(sqlite3 *db, const struct repo *repo, const struct history *h,
    int forget, void (*report)(const char *, const char *, const char *,
    void *), void *arg, char **cause)
{
	struct history_repairing	 rp;
	size_t				 i;
	int				 ret = -1;

	rp.h = h;
	rp.revs = history_match(repo, h);
	rp.changed = xcalloc(h->nrows + 1, sizeof *rp.changed);
	for (i = 0; i < h->nrows && !forget; i++) {
		if (rp.revs[i] == NULL) {
			*cause = history_missing(repo, h->rows[i].id,
			    "--forget-missing");
			goto out;
		}
	}
	if (history_transaction(db, history_repair_rows, &rp, cause) == -1)
		goto out;
	for (i = 0; i < h->nrows; i++) {
		if (!rp.changed[i] || report == NULL)
			continue;
		report(h->rows[i].id, rp.revs[i] != NULL ? rp.revs[i]->path :
		    NULL, h->rows[i].checksum, arg);
	}
	ret = 0;
out:
	free(rp.revs);
	free(rp.changed);
	return ret;
}

/*
 * The revisions Flask-Migrate's alembic_version table records, in order and
 * separated by spaces, or NULL when it has none (or there is no such table).
 * exodb never writes that table: it only names what is there, for a database
 * on its way to being adopted. Bytes that are not printable ASCII are shown
 * as '?'. The caller frees *versions.
 */
int
history_alembic(sqlite3 *db, char **versions, char **cause)
{
	sqlite3_stmt	*stmt;
	const char	*text;
	char		*p;
	int		 exists, rc;

	*versions = NULL;
	if (db_table_exists(db, "alembic_version", &exists, cause) == -1)
		return -1;
	if (!exists)
		return 0;
	if (db_prepare(db, &stmt, cause, "SELECT group_concat(version_num, ' ') "
	    "FROM (SELECT version_num FROM alembic_version "
	    "WHERE version_num IS NOT NULL ORDER BY version_num)") == -1)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW &&
	    (text = (const char *)sqlite3_column_text(stmt, 0)) != NULL) {
		*versions = xstrdup(text);
		for (p = *versions; *p != '\0'; p++) {
			if (*p < ' ' || *p > '~')
				*p = '?';
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}
