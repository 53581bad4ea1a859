/*
 * What a list of operations would do to the rows of a live database, found
 * before anything runs. For each table the operations keep, the rows it would
 * hold afterwards are a query over the live rows (the projection: each column
 * of the new table as the copy computes it, a new column as its default);
 * each constraint the new table has and the live one lacks (NOT NULL, UNIQUE
 * under its collation, CHECK, a foreign key) is then a query for the rows
 * that break it. The operations may come from any "from" schema (the live
 * one, or the migration chain replayed): only the rows are read from db.
 *
 * A NULL that a NOT NULL column's default fills is a note; a row that would
 * break a constraint is a refusal, naming the first rows by primary key (or
 * rowid) and the fix.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

/* How many offending rows a message names. */
#define DATACHECK_NAMED	5

/* The column of the projection that names a row. */
#define DATACHECK_KEY	"exodb_key"

void
datacheck_free(struct datacheck *dc)
{
	size_t	i;

	if (dc == NULL)
		return;
	for (i = 0; i < dc->nnotes; i++)
		free(dc->notes[i]);
	free(dc->notes);
	for (i = 0; i < dc->nrefusals; i++)
		free(dc->refusals[i]);
	free(dc->refusals);
	free(dc);
}

static void
datacheck_add(char ***list, size_t *n, char *text)
{
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = text;
}

/* One table the operations keep: its rows before, and the table after. */
struct datacheck_table {
	const struct table	*from;
	const struct table	*to;
	char			*key;	/* SQL naming a row, as text */
	char			*order;	/* its key columns, to order by */
	char			*order_live;	/* the same, in the live table */
	char			*proj;	/* SELECT over the live rows, with
					   the key as exodb_key and its
					   columns as exodb_o1, exodb_o2... */
	char			*keys;	/* "id" or "(a, b)" or "rowid" */
};

/* Whether a column is the rowid itself (INTEGER PRIMARY KEY). */
static int
datacheck_rowid_alias(const struct table *t, const struct column *c)
{
	size_t	i, npk = 0;

	if (t->without_rowid || c->pk == 0 || strcasecmp(c->type, "INTEGER"))
		return 0;
	for (i = 0; i < t->ncolumns; i++)
		npk += t->columns[i].pk != 0;
	return npk == 1;
}

static int
datacheck_has_default(const struct column *c)
{
	return c->dflt != NULL && strcasecmp(c->dflt, "NULL") != 0;
}

/*
 * The SQL of the new rows: the key that names a row, as text, then each
 * column of t->to as the operations compute it from t->from, under its
 * collation. Mirrors render.c's rebuild (NULLs of a column made NOT NULL
 * take its default) and ALTER TABLE ADD COLUMN (a new column holds its
 * default).
 */
static void
datacheck_project(struct datacheck_table *t)
{
	const struct column	*c, *old;
	sqlite3_str		*s = sqlite3_str_new(NULL);
	sqlite3_str		*k = sqlite3_str_new(NULL);
	sqlite3_str		*names = sqlite3_str_new(NULL);
	sqlite3_str		*order = sqlite3_str_new(NULL);
	sqlite3_str		*raw = sqlite3_str_new(NULL);
	sqlite3_str		*live = sqlite3_str_new(NULL);
	size_t			 i, n = 0, pos;

	for (pos = 1; pos <= t->from->ncolumns; pos++) {
		for (i = 0; i < t->from->ncolumns; i++) {
			if ((size_t)t->from->columns[i].pk != pos)
				continue;
			sqlite3_str_appendf(k, "%squote(\"%w\")", n > 0 ?
			    " || ', ' || " : "", t->from->columns[i].name);
			sqlite3_str_appendf(names, "%s%s", n > 0 ? ", " : "",
			    t->from->columns[i].name);
			sqlite3_str_appendf(raw, ", \"%w\" AS exodb_o%d",
			    t->from->columns[i].name, (int)n + 1);
			sqlite3_str_appendf(order, "%sexodb_o%d", n > 0 ?
			    ", " : "", (int)n + 1);
			sqlite3_str_appendf(live, "%s\"%w\"", n > 0 ? ", " : "",
			    t->from->columns[i].name);
			n++;
		}
	}
	if (n == 0) {
		sqlite3_str_appendall(k, "rowid");
		sqlite3_str_appendall(names, "rowid");
		sqlite3_str_appendall(raw, ", rowid AS exodb_o1");
		sqlite3_str_appendall(order, "exodb_o1");
		sqlite3_str_appendall(live, "rowid");
	}
	t->key = xasprintf("%s%s%s", n > 1 ? "'(' || " : "",
	    sqlite3_str_value(k), n > 1 ? " || ')'" : "");
	t->order = xstr_finish(order);
	t->order_live = xstr_finish(live);
	sqlite3_str_appendf(s, "SELECT %s AS " DATACHECK_KEY "%s", t->key,
	    sqlite3_str_value(raw));
	for (i = 0; i < t->to->ncolumns; i++) {
		c = &t->to->columns[i];
		if (c->hidden)
			continue;
		old = schema_match_column(t->from, c);
		sqlite3_str_appendall(s, ", ");
		if (old == NULL && datacheck_has_default(c))
			sqlite3_str_appendf(s, "(%s)", c->dflt);
		else if (old == NULL && datacheck_rowid_alias(t->to, c))
			sqlite3_str_appendall(s, "rowid");
		else if (old == NULL)
			sqlite3_str_appendall(s, "NULL");
		else if (c->notnull && !old->notnull && datacheck_has_default(c))
			sqlite3_str_appendf(s, "coalesce(\"%w\", (%s))",
			    old->name, c->dflt);
		else
			sqlite3_str_appendf(s, "\"%w\"", old->name);
		if (c->collation != NULL)
			sqlite3_str_appendf(s, " COLLATE \"%w\"", c->collation);
		sqlite3_str_appendf(s, " AS \"%w\"", c->name);
	}
	sqlite3_str_appendf(s, " FROM \"%w\"", t->from->name);
	t->proj = xstr_finish(s);
	t->keys = n > 1 ? xasprintf("(%s)", sqlite3_str_value(names)) :
	    xstrdup(sqlite3_str_value(names));
	free(xstr_finish(k));
	free(xstr_finish(names));
	free(xstr_finish(raw));
}

/*
 * Run a query whose first column names a row: *n counts its rows and
 * *named lists the first DATACHECK_NAMED ("id 1, 2, 3, ..."). The caller
 * frees *named.
 */
static int
datacheck_rows(sqlite3 *db, const struct datacheck_table *t, const char *sql,
    long long *n, char **named, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	sqlite3_str	*s;
	int		 rc;

	*n = 0;
	*named = NULL;
	if (db_prepare(db, &stmt, cause, "%s", sql) == -1)
		return -1;
	s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(s, "%s ", t->keys);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n < DATACHECK_NAMED)
			sqlite3_str_appendf(s, "%s%s", *n > 0 ? ", " : "",
			    (const char *)sqlite3_column_text(stmt, 0));
		else if (*n == DATACHECK_NAMED)
			sqlite3_str_appendall(s, ", ...");
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		*cause = db_error(db);
	sqlite3_finalize(stmt);
	*named = xstr_finish(s);
	if (rc != SQLITE_DONE) {
		free(*named);
		*named = NULL;
		return -1;
	}
	return 0;
}

static const char *
datacheck_rows_word(long long n)
{
	return n == 1 ? "row" : "rows";
}

/* NOT NULL over a column that allowed NULL: filled, or refused. */
static int
datacheck_not_null(sqlite3 *db, const struct datacheck_table *t,
    const struct column *c, const struct column *old, struct datacheck *dc,
    char **cause)
{
	char		*sql, *named = NULL;
	long long	 n;

	sql = sqlite3_mprintf("SELECT %s FROM \"%w\" WHERE \"%w\" IS NULL "
	    "ORDER BY %s", t->key, t->from->name, old->name, t->order_live);
	if (datacheck_rows(db, t, sql, &n, &named, cause) == -1) {
		sqlite3_free(sql);
		return -1;
	}
	sqlite3_free(sql);
	if (n > 0 && datacheck_has_default(c))
		datacheck_add(&dc->notes, &dc->nnotes, xasprintf("%lld NULL "
		    "value%s of %s.%s become%s %s", n, n == 1 ? "" : "s",
		    t->to->name, c->name, n == 1 ? "s" : "", c->dflt));
	else if (n > 0)
		datacheck_add(&dc->refusals, &dc->nrefusals, xasprintf("%s.%s "
		    "becomes NOT NULL, but %lld %s hold%s NULL (%s); fix the "
		    "rows first, e.g. UPDATE \"%s\" SET \"%s\" = ... WHERE "
		    "\"%s\" IS NULL, or give the column a DEFAULT", t->to->name,
		    c->name, n, datacheck_rows_word(n), n == 1 ? "s" : "",
		    named, t->from->name, old->name, old->name));
	free(named);
	return 0;
}

/* A new NOT NULL column without a default cannot be filled. */
static int
datacheck_new_column(sqlite3 *db, const struct datacheck_table *t,
    const struct column *c, struct datacheck *dc, char **cause)
{
	long long	 n;
	char		*sql;
	int		 ret;

	sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", t->from->name);
	ret = db_count(db, sql, &n, cause);
	sqlite3_free(sql);
	if (ret == -1)
		return -1;
	if (n > 0)
		datacheck_add(&dc->refusals, &dc->nrefusals, xasprintf("%s.%s "
		    "is added NOT NULL without a DEFAULT, but %s has %lld %s, "
		    "which it can only fail: give it a DEFAULT, or add it "
		    "nullable, fill it, then make it NOT NULL", t->to->name,
		    c->name, t->to->name, n, datacheck_rows_word(n)));
	return 0;
}

/* A CHECK the live table lacks: the rows for which it is false. */
static int
datacheck_check(sqlite3 *db, const struct datacheck_table *t,
    const char *expr, struct datacheck *dc, char **cause)
{
	char		*sql, *named = NULL;
	long long	 n;

	sql = xasprintf("SELECT " DATACHECK_KEY " FROM (%s) WHERE NOT (%s) "
	    "ORDER BY %s", t->proj, expr, t->order);
	if (datacheck_rows(db, t, sql, &n, &named, cause) == -1) {
		free(sql);
		return -1;
	}
	free(sql);
	if (n > 0)
		datacheck_add(&dc->refusals, &dc->nrefusals, xasprintf("CHECK "
		    "(%s) of %s fails for %lld %s (%s); fix the rows first: "
		    "UPDATE or DELETE those WHERE NOT (%s)", expr, t->to->name,
		    n, datacheck_rows_word(n), named, expr));
	free(named);
	return 0;
}

/* The collation an index column compares with: its own, or its column's. */
static const char *
datacheck_collation(const struct table *t, const struct index_column *ic)
{
	const struct column	*c;

	if (ic->collation != NULL)
		return ic->collation;
	c = schema_column(t, ic->name);
	return c != NULL ? c->collation : NULL;
}

static int
datacheck_same_index(const struct table *a, const struct index *x,
    const struct table *b, const struct index *y)
{
	size_t	i;

	if (x->unique != y->unique || x->ncolumns != y->ncolumns ||
	    !schema_same_text(x->where, y->where))
		return 0;
	for (i = 0; i < x->ncolumns; i++) {
		if (!schema_same_name(x->columns[i].name, y->columns[i].name) ||
		    !schema_same_name(datacheck_collation(a, &x->columns[i]),
		    datacheck_collation(b, &y->columns[i])))
			return 0;
	}
	return 1;
}

/* Whether the live table already keeps ix unique (so its rows do). */
static int
datacheck_had_unique(const struct datacheck_table *t, const struct index *ix)
{
	const struct index	*old;
	size_t			 i;

	for (i = 0; i < t->from->nindexes; i++) {
		old = &t->from->indexes[i];
		if (old->sql == NULL && datacheck_same_index(t->from, old,
		    t->to, ix))
			return 1;
	}
	return 0;
}

/* A UNIQUE index or constraint new to the table: the rows that share a key. */
static int
datacheck_unique(sqlite3 *db, const struct datacheck_table *t,
    const struct index *ix, struct datacheck *dc, char **cause)
{
	sqlite3_str	*part = sqlite3_str_new(NULL);
	sqlite3_str	*nn = sqlite3_str_new(NULL);
	sqlite3_str	*cols = sqlite3_str_new(NULL);
	const char	*coll;
	char		*p = NULL, *w = NULL, *l = NULL, *sql, *named = NULL;
	const char	*how;
	long long	 n;
	size_t		 i;
	int		 nocase = 1, ret = -1;

	for (i = 0; i < ix->ncolumns; i++) {
		coll = datacheck_collation(t->to, &ix->columns[i]);
		sqlite3_str_appendf(part, "%s\"%w\"", i > 0 ? ", " : "",
		    ix->columns[i].name);
		if (coll != NULL)
			sqlite3_str_appendf(part, " COLLATE \"%w\"", coll);
		nocase &= coll != NULL && strcasecmp(coll, "NOCASE") == 0;
		sqlite3_str_appendf(nn, "%s\"%w\" IS NOT NULL", i > 0 ?
		    " AND " : "", ix->columns[i].name);
		sqlite3_str_appendf(cols, "%s%s%s%s", i > 0 ? ", " : "",
		    ix->columns[i].name, coll != NULL && !nocase ?
		    " COLLATE " : "", coll != NULL && !nocase ? coll : "");
	}
	p = xstr_finish(part);
	w = xstr_finish(nn);
	l = xstr_finish(cols);
	sql = xasprintf("SELECT " DATACHECK_KEY " FROM (SELECT *, count(*) "
	    "OVER (PARTITION BY %s) AS exodb_n FROM (%s) WHERE %s%s%s%s) WHERE "
	    "exodb_n > 1 ORDER BY %s", p, t->proj, w, ix->where != NULL ?
	    " AND (" : "", ix->where != NULL ? ix->where : "",
	    ix->where != NULL ? ")" : "", t->order);
	if (datacheck_rows(db, t, sql, &n, &named, cause) == -1)
		goto out;
	how = nocase ? " without regard to case" : "";
	if (n > 0)
		datacheck_add(&dc->refusals, &dc->nrefusals, xasprintf("UNIQUE "
		    "(%s) of %s%s is broken by %lld %s that share a value (%s); "
		    "fix the rows first: make their values differ (UPDATE) or "
		    "DELETE the extra ones", l, t->to->name, how, n,
		    datacheck_rows_word(n), named));
	ret = 0;
out:
	free(sql);
	free(named);
	free(p);
	free(w);
	free(l);
	return ret;
}

static int
datacheck_same_fk(const struct foreign_key *a, const struct foreign_key *b)
{
	size_t	i;

	if (!schema_same_name(a->table, b->table) || a->ncolumns != b->ncolumns ||
	    (a->to == NULL) != (b->to == NULL))
		return 0;
	for (i = 0; i < a->ncolumns; i++) {
		if (!schema_same_name(a->from[i], b->from[i]) ||
		    (a->to != NULL && !schema_same_name(a->to[i], b->to[i])))
			return 0;
	}
	return 1;
}

/* The columns a foreign key references: its own list, or the parent's key. */
static const char *
datacheck_fk_target(const struct schema *to, const struct foreign_key *fk,
    size_t i)
{
	const struct table	*parent;
	size_t			 j;

	if (fk->to != NULL && fk->to[i] != NULL)
		return fk->to[i];
	if ((parent = schema_table(to, fk->table)) == NULL)
		return NULL;
	for (j = 0; j < parent->ncolumns; j++) {
		if ((size_t)parent->columns[j].pk == i + 1)
			return parent->columns[j].name;
	}
	return NULL;
}

/* A foreign key new to the table: the rows that reference no row. */
static int
datacheck_fk(sqlite3 *db, const struct datacheck_table *t,
    const struct schema *to, const struct foreign_key *fk,
    struct datacheck *dc, char **cause)
{
	sqlite3_str	*nn = sqlite3_str_new(NULL);
	sqlite3_str	*match = sqlite3_str_new(NULL);
	sqlite3_str	*cols = sqlite3_str_new(NULL);
	const char	*target;
	char		*w = NULL, *m = NULL, *l = NULL, *sql = NULL;
	char		*named = NULL;
	long long	 n;
	size_t		 i;
	int		 exists, ret = -1;

	for (i = 0; i < fk->ncolumns; i++) {
		if ((target = datacheck_fk_target(to, fk, i)) == NULL)
			break;
		sqlite3_str_appendf(nn, "%sc.\"%w\" IS NOT NULL", i > 0 ?
		    " AND " : "", fk->from[i]);
		sqlite3_str_appendf(match, "%sp.\"%w\" = c.\"%w\"", i > 0 ?
		    " AND " : "", target, fk->from[i]);
		sqlite3_str_appendf(cols, "%s%s", i > 0 ? ", " : "",
		    fk->from[i]);
	}
	w = xstr_finish(nn);
	m = xstr_finish(match);
	l = xstr_finish(cols);
	/* A key SQLite would call a mismatch: the runner reports that. */
	if (i < fk->ncolumns || fk->ncolumns == 0) {
		ret = 0;
		goto out;
	}
	if (db_table_exists(db, fk->table, &exists, cause) == -1)
		goto out;
	if (exists)
		sql = sqlite3_mprintf("SELECT " DATACHECK_KEY " FROM (%s) AS c "
		    "WHERE %s AND NOT EXISTS (SELECT 1 FROM \"%w\" AS p WHERE "
		    "%s) ORDER BY %s", t->proj, w, fk->table, m, t->order);
	else
		sql = sqlite3_mprintf("SELECT " DATACHECK_KEY " FROM (%s) AS c "
		    "WHERE %s ORDER BY %s", t->proj, w, t->order);
	if (datacheck_rows(db, t, sql, &n, &named, cause) == -1)
		goto out;
	if (n > 0)
		datacheck_add(&dc->refusals, &dc->nrefusals, xasprintf("FOREIGN "
		    "KEY (%s) of %s is broken by %lld %s that reference%s no row "
		    "of %s (%s); fix the rows first: point them at rows that "
		    "exist, set them NULL, or DELETE them", l, t->to->name, n,
		    datacheck_rows_word(n), n == 1 ? "s" : "", fk->table,
		    named));
	ret = 0;
out:
	sqlite3_free(sql);
	free(named);
	free(w);
	free(m);
	free(l);
	return ret;
}

static int
datacheck_had_check(const struct table *t, const char *expr)
{
	size_t	i;

	for (i = 0; i < t->nchecks; i++) {
		if (schema_same_text(t->checks[i], expr))
			return 1;
	}
	return 0;
}

/* Every constraint t->to adds over the rows of t->from. */
static int
datacheck_table(sqlite3 *db, struct datacheck_table *t,
    const struct schema *to, struct datacheck *dc, char **cause)
{
	const struct column	*c, *old;
	const struct index	*ix;
	size_t			 i, j;

	datacheck_project(t);
	for (i = 0; i < t->to->ncolumns; i++) {
		c = &t->to->columns[i];
		if (c->hidden)
			continue;
		old = schema_match_column(t->from, c);
		if (old == NULL && c->notnull && !datacheck_has_default(c) &&
		    !datacheck_rowid_alias(t->to, c)) {
			if (datacheck_new_column(db, t, c, dc, cause) == -1)
				return -1;
		} else if (old != NULL && c->notnull && !old->notnull &&
		    !datacheck_rowid_alias(t->to, c) &&
		    datacheck_not_null(db, t, c, old, dc, cause) == -1)
			return -1;
		if (c->check != NULL && (old == NULL ||
		    !schema_same_text(old->check, c->check)) &&
		    datacheck_check(db, t, c->check, dc, cause) == -1)
			return -1;
	}
	for (i = 0; i < t->to->nchecks; i++) {
		if (!datacheck_had_check(t->from, t->to->checks[i]) &&
		    datacheck_check(db, t, t->to->checks[i], dc, cause) == -1)
			return -1;
	}
	for (i = 0; i < t->to->nindexes; i++) {
		ix = &t->to->indexes[i];
		/* An expression's key is for the runner to report. */
		if (!ix->unique || ix->sql != NULL || ix->ncolumns == 0 ||
		    datacheck_had_unique(t, ix))
			continue;
		if (datacheck_unique(db, t, ix, dc, cause) == -1)
			return -1;
	}
	for (i = 0; i < t->to->nfks; i++) {
		for (j = 0; j < t->from->nfks; j++) {
			if (datacheck_same_fk(&t->from->fks[j], &t->to->fks[i]))
				break;
		}
		if (j == t->from->nfks && datacheck_fk(db, t, to,
		    &t->to->fks[i], dc, cause) == -1)
			return -1;
	}
	return 0;
}

/*
 * Check the rows of db against what the operations of d would make of them
 * (d goes from a schema like db's to `to`). *out lists notes (values a
 * default fills) and refusals (rows that would break a constraint, each with
 * the fix); the caller frees it with datacheck_free(). A table db does not
 * have is skipped. Returns -1 with *cause set if a query fails.
 */
int
datacheck_run(sqlite3 *db, const struct diff *d, const struct schema *to,
    struct datacheck **out, char **cause)
{
	struct datacheck	*dc;
	struct datacheck_table	 t;
	const struct op		*op;
	size_t			 i, j;
	char			*why = NULL;
	int			 exists, seen, ret;

	*out = NULL;
	dc = xcalloc(1, sizeof *dc);
	for (i = 0; i < d->nops; i++) {
		op = &d->ops[i];
		if (op->from == NULL || op->to == NULL ||
		    (op->type != OP_REBUILD_TABLE &&
		    op->type != OP_ADD_COLUMN && op->type != OP_CREATE_INDEX))
			continue;
		/* A table's cheap operations come together: check it once. */
		for (seen = 0, j = 0; j < i && !seen; j++)
			seen = d->ops[j].to == op->to;
		if (seen)
			continue;
		if (db_table_exists(db, op->from->name, &exists, cause) == -1)
			goto fail;
		if (!exists)
			continue;
		memset(&t, 0, sizeof t);
		t.from = op->from;
		t.to = op->to;
		ret = datacheck_table(db, &t, to, dc, &why);
		free(t.key);
		free(t.order);
		free(t.order_live);
		free(t.proj);
		free(t.keys);
		if (ret == -1) {
			*cause = xasprintf("cannot check the rows of %s: %s",
			    op->from->name, why);
			free(why);
			goto fail;
		}
	}
	*out = dc;
	return 0;
fail:
	datacheck_free(dc);
	return -1;
}

/*
 * The rows of a table, or the values (not NULL) of one of its columns; -1
 * when they cannot be counted.
 */
static long long
datacheck_count(sqlite3 *db, const char *table, const char *column)
{
	char		*sql, *why = NULL;
	long long	 n;

	if (column != NULL)
		sql = sqlite3_mprintf("SELECT count(\"%w\") FROM \"%w\"",
		    column, table);
	else
		sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
	if (db_count(db, sql, &n, &why) == -1) {
		free(why);
		n = -1;
	}
	sqlite3_free(sql);
	return n;
}

static void
datacheck_dropped_one(sqlite3_str *s, size_t *n, const char *what,
    const char *table, const char *column, long long rows, int *held)
{
	sqlite3_str_appendf(s, "%s%s %s%s%s", (*n)++ > 0 ? ", " : "", what,
	    table, column != NULL ? "." : "", column != NULL ? column : "");
	if (rows >= 0)
		sqlite3_str_appendf(s, " (%lld %s)", rows, column != NULL ?
		    (rows == 1 ? "value" : "values") : datacheck_rows_word(rows));
	/* What cannot be counted may hold data. */
	if (rows != 0)
		*held = 1;
}

/*
 * What the operations of d drop, as "table t, column t.c", or NULL when they
 * drop nothing. With db, each is followed by how many rows (of a table) or
 * values (of a column) it holds there ("table t (3 rows)"), and *held (if
 * not NULL) says whether any holds data. The caller frees the result.
 */
char *
datacheck_dropped(sqlite3 *db, const struct diff *d, int *held)
{
	sqlite3_str		*s = sqlite3_str_new(NULL);
	const struct op		*op;
	const struct column	*c;
	size_t			 i, j, n = 0;
	char			*text;
	long long		 rows;
	int			 dummy;

	if (held == NULL)
		held = &dummy;
	*held = 0;
	for (i = 0; i < d->nops; i++) {
		op = &d->ops[i];
		if (!diff_destructive(op))
			continue;
		if (op->type == OP_DROP_TABLE) {
			rows = db != NULL ? datacheck_count(db, op->from->name,
			    NULL) : -1;
			datacheck_dropped_one(s, &n, "table", op->from->name,
			    NULL, rows, held);
		}
		else if (op->type == OP_DROP_COLUMN) {
			rows = db != NULL ? datacheck_count(db, op->from->name,
			    op->column->name) : -1;
			datacheck_dropped_one(s, &n, "column", op->from->name,
			    op->column->name, rows, held);
		}
		for (j = 0; op->type == OP_REBUILD_TABLE &&
		    j < op->from->ncolumns; j++) {
			c = &op->from->columns[j];
			if (schema_match_column(op->to, c) != NULL)
				continue;
			rows = db != NULL ? datacheck_count(db, op->from->name,
			    c->name) : -1;
			datacheck_dropped_one(s, &n, "column", op->from->name,
			    c->name, rows, held);
		}
	}
	text = xstr_finish(s);
	if (n == 0) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * Run the given sections on an in-memory copy of db's schema, as the runner
 * would, into *scratch (the caller closes it). Returns 0; 1 when a section
 * fails on its own SQL (the runner will report that, at its line); -1 with
 * *cause set when the copy cannot be made or memory runs out.
 */
static int
datacheck_replay(sqlite3 *db, struct revision *const *revs, size_t nrevs,
    int up, sqlite3 **scratch, char **cause)
{
	const struct revision	*rev;
	const char		*sql;
	char			*why = NULL;
	size_t			 i;
	int			 rc;

	if (autogen_copy(db, scratch, cause) == -1)
		return -1;
	for (i = 0; i < nrevs; i++) {
		rev = revs[i];
		/* No section for SQLite: the runner refuses it, naming it. */
		if ((sql = revision_sql(rev, DIALECT_SQLITE, up, NULL)) ==
		    NULL) {
			*cause = xasprintf("%s: has no SQLite section",
			    rev->path);
			return 1;
		}
		if (db_exec(*scratch, "PRAGMA foreign_keys = OFF; BEGIN",
		    &why) == -1 || db_exec(*scratch, sql, &why) == -1 ||
		    db_exec(*scratch, "COMMIT", &why) == -1) {
			rc = sqlite3_errcode(*scratch);
			db_rollback(*scratch);
			*cause = xasprintf("%s: %s", rev->path, why);
			free(why);
			return rc == SQLITE_NOMEM ? -1 : 1;
		}
	}
	return 0;
}

/*
 * What rev (its upgrade, or its downgrade) would do to the rows of db,
 * found by replaying it on a copy of db's schema: datacheck_run() on the
 * operations it performs (the schema before diffed with the schema after).
 * For a revision that failed on a constraint, the refusals name the rows.
 */
int
datacheck_revision(sqlite3 *db, struct revision *rev, int up,
    struct datacheck **out, char **cause)
{
	sqlite3		*scratch = NULL;
	struct schema	*before = NULL, *after = NULL;
	struct diff	*d = NULL;
	char		*why = NULL;
	int		 ret = -1;

	*out = NULL;
	if (introspect_schema(db, &before, cause) == -1)
		goto out;
	if (datacheck_replay(db, &rev, 1, up, &scratch, cause) != 0)
		goto out;
	if (introspect_schema(scratch, &after, &why) == -1 ||
	    diff_schemas(before, after, DIFF_DROP_UNKNOWN, &d, &why) == -1) {
		*cause = why;
		goto out;
	}
	ret = datacheck_run(db, d, after, out, cause);
out:
	diff_free(d);
	schema_free(before);
	schema_free(after);
	sqlite3_close(scratch);
	return ret;
}

/* Add "table t (3 rows)" or "column t.c (2 values)" to *list. */
static void
datacheck_lost_one(sqlite3 *db, char **list, const char *table,
    const char *column, int *held)
{
	long long	 n = datacheck_count(db, table, column);
	char		*old = *list, *count = NULL;

	if (n >= 0)
		count = xasprintf(" (%lld %s)", n, column != NULL ? (n == 1 ?
		    "value" : "values") : datacheck_rows_word(n));
	*list = xasprintf("%s%s%s %s%s%s%s", old != NULL ? old : "",
	    old != NULL ? ", " : "", column != NULL ? "column" : "table", table,
	    column != NULL ? "." : "", column != NULL ? column : "",
	    count != NULL ? count : "");
	/* What cannot be counted may hold data. */
	if (n != 0)
		*held = 1;
	free(old);
	free(count);
}

/*
 * The tables and columns of db that scratch lacks, into *list; *held says
 * whether any holds data. Plain queries, so that running out of memory is
 * an error to report, never a fatal one.
 */
static int
datacheck_lost(sqlite3 *db, sqlite3 *scratch, char **list, int *held,
    char **cause)
{
	sqlite3_stmt	*tables = NULL, *cols = NULL;
	const char	*table, *col;
	int		 rc, exists, ret = -1;

	if (db_prepare(db, &tables, cause, "SELECT name FROM sqlite_schema "
	    "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' "
	    "AND name <> %Q ORDER BY rowid", HISTORY_TABLE) == -1 ||
	    db_prepare(db, &cols, cause, "SELECT name FROM "
	    "pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid") == -1)
		goto out;
	while ((rc = sqlite3_step(tables)) == SQLITE_ROW) {
		table = (const char *)sqlite3_column_text(tables, 0);
		if (table == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (db_table_exists(scratch, table, &exists, cause) == -1)
			goto out;
		if (!exists) {
			datacheck_lost_one(db, list, table, NULL, held);
			continue;
		}
		sqlite3_bind_text(cols, 1, table, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(cols)) == SQLITE_ROW) {
			if ((col = (const char *)sqlite3_column_text(cols, 0)) ==
			    NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			if (db_exists(scratch, table, &exists, cause, "SELECT 1 "
			    "FROM pragma_table_xinfo(?1) WHERE name = %Q",
			    col) == -1)
				goto out;
			if (!exists)
				datacheck_lost_one(db, list, table, col, held);
		}
		sqlite3_reset(cols);
		if (rc != SQLITE_DONE)
			break;
	}
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(tables);
	sqlite3_finalize(cols);
	return ret;
}

/*
 * What running the plan would drop of the data db holds now (tables and
 * columns, with their rows or values), found by running its sections on a
 * copy of db's schema and comparing: *lost is NULL when what it drops is
 * empty, else the list; the caller frees it. A table an earlier step makes
 * and a later one drops held nothing and is not listed. A section that
 * fails on its own SQL tells nothing (*lost NULL): the runner reports it
 * before changing anything.
 */
int
datacheck_plan_drops(sqlite3 *db, const struct plan *plan, char **lost,
    char **cause)
{
	sqlite3	*scratch = NULL;
	char	*why = NULL;
	int	 held = 0, ret = -1, rc;

	*lost = NULL;
	rc = datacheck_replay(db, plan->revs, plan->nrevs, plan->up, &scratch,
	    &why);
	if (rc == 1) {
		free(why);
		ret = 0;
		goto out;
	}
	if (rc == -1) {
		*cause = why;
		goto out;
	}
	if (datacheck_lost(db, scratch, lost, &held, cause) == -1) {
		free(*lost);
		*lost = NULL;
		goto out;
	}
	if (!held) {
		free(*lost);
		*lost = NULL;
	}
	ret = 0;
out:
	sqlite3_close(scratch);
	return ret;
}
